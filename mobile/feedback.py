"""What a scan feels and sounds like: the cues a step screen asks for, and their tones.

View models ask for a :class:`Cue` through the small :class:`Feedback` interface; the
view supplies the implementation (haptics and a sound on the device). A wrong item must
be noticed by someone wearing gloves with their eyes on a shelf, so it gets the strongest
vibration and a low, long double tone; a counted item gets a short high blip.
The tones are synthesised here (a few kilobytes of WAV), so the app ships no sound files.
"""

from __future__ import annotations

import io
import math
import struct
import wave
from enum import StrEnum
from functools import cache
from typing import Protocol


class Cue(StrEnum):
    """A moment the person should feel or hear, not only see."""

    #: a scan counted an item
    COUNTED = "counted"
    #: the step is complete (every line picked, the order shipped)
    COMPLETE = "complete"
    #: a wrong or unknown item, an over-pick, a refused scan: stop and look
    WRONG = "wrong"


class Feedback(Protocol):
    """Haptics and sound for a cue; the view implements it for its platform."""

    async def cue(self, cue: Cue) -> None:
        """Vibrate and play the cue's sound (what the platform can of it)."""
        ...


#: (frequency Hz, milliseconds) segments of each cue's tone; 0 Hz is silence
TONES: dict[Cue, tuple[tuple[int, int], ...]] = {
    Cue.COUNTED: ((1800, 70),),
    Cue.COMPLETE: ((1200, 90), (0, 40), (1600, 90), (0, 40), (2000, 140)),
    Cue.WRONG: ((330, 280), (0, 80), (330, 280), (0, 80), (260, 420)),
}

SAMPLE_RATE = 16_000


@cache
def tone_wav(cue: Cue) -> bytes:
    """The cue's tone as a mono 16-bit PCM WAV file."""
    frames = bytearray()
    for frequency, millis in TONES[cue]:
        count = SAMPLE_RATE * millis // 1000
        fade = min(count // 4, SAMPLE_RATE // 200)  # 5 ms ramps: no clicks at the edges
        for i in range(count):
            if frequency == 0:
                sample = 0.0
            else:
                ramp = min(1.0, i / fade, (count - i) / fade) if fade else 1.0
                sample = 0.6 * ramp * math.sin(2 * math.pi * frequency * i / SAMPLE_RATE)
            frames += struct.pack("<h", int(sample * 32767))
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(bytes(frames))
    return out.getvalue()
