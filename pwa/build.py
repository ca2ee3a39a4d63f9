"""Build the offline PWA into ``build/pwa/``: ``python -m pwa.build`` (``make pwa``).

What comes out, all static, all served by the server at ``/`` (see ``server/pwa.py``):

- ``index.html``, ``sw.js``, ``manifest.webmanifest``, ``icons/``, ``build.json``: fixed
  names, revalidated on every load (``no-cache``);
- ``r/<hash>/``: the runtime from the installed flet-web (Flutter client, renderers,
  Pyodide; its Python worker given the compiled-code cache of ``pwa/code_cache.py``),
  named by the hash of its content, so it is cached for good (``immutable``);
- ``app-<hash>.tar.gz``: the app's Python (``mobile/``, ``shared/``, an entry ``main.py``)
  and every package it imports: pure-Python ones copied from this virtual environment into
  ``site-packages.zip`` (imported from the zip), compiled ones (msgspec, msgpack) from
  Pyodide wheels from PyPI into ``__pypackages__/``.

Nothing is fetched from a CDN, at build time or at run time. The only network access is
``pip download`` of the pinned Pyodide wheels, once: they are kept in ``build/pwa-wheels/``.
The output is reproducible: the same inputs give the same bytes (sorted archive members,
fixed times and owners, gzip without a time stamp). A stamp of the inputs' hash makes a
rebuild with unchanged inputs a no-op (``--force`` rebuilds anyway).

``flet publish`` is not used: it needs flet-cli (not a dependency here) and two overrides
to stay offline, and its output is neither versioned nor reproducible. The steps are the
same: copy the web client, point its config at the local runtime, pack the app.
"""

from __future__ import annotations

import argparse
import ast
import gzip
import hashlib
import importlib.metadata
import io
import json
import re
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pwa import code_cache, icons

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
DEFAULT_OUT = ROOT / "build" / "pwa"
WHEEL_CACHE = ROOT / "build" / "pwa-wheels"

NAME = "Shipfloor"
SHORT_NAME = "Shipfloor"
DESCRIPTION = "Offline-first order fulfilment for marketplace sellers."
#: mobile/theme.py's seed colour: the toolbar and splash of the installed app
THEME_COLOR = "#1F6F5C"
BACKGROUND_COLOR = "#FFFFFF"
BACKGROUND_DARK = "#121212"

#: compiled distributions (and tzdata, absent here): Pyodide wheels from PyPI, pinned for
#: reproducible builds. Every other distribution the app imports (found by reading its
#: imports, then following requirements as they apply in the browser) must be pure Python
#: and is copied from this virtual environment.
PYODIDE_WHEELS = ("msgspec==0.22.0", "msgpack==1.2.4", "tzdata==2026.6")
#: imported by the app's sources but never in the browser (only inside native-only code):
#: httpx (the browser fetches), flet-camera and Pillow (mobile/scanning: the camera is
#: offered only where its Flutter side is compiled in, which flet-web's client is not)
NATIVE_ONLY = frozenset({"httpx", "flet_camera", "PIL"})
#: modules Pyodide itself provides
PYODIDE_BUILTINS = frozenset({"js", "pyodide", "pyodide_js", "micropip"})
#: the browser has no time zone database of its own: zoneinfo reads tzdata's
ALWAYS = ("tzdata",)
#: how requirement markers evaluate inside Pyodide
BROWSER_MARKERS = {
    "sys_platform": "emscripten",
    "platform_system": "Emscripten",
    "platform_machine": "wasm32",
    "os_name": "posix",
    "python_version": "3.14",
    "python_full_version": "3.14.2",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "extra": "",
}
PYODIDE_PLATFORM = "pyemscripten_2026_0_wasm32"
PYODIDE_PYTHON = "3.14"

#: our Python, from the repository; only .py files go in
APP_SOURCES = ("mobile", "shared")

#: flet-web files left out of the runtime: tools, type stubs, debug symbols, source maps,
#: Flutter's own service worker (a kill switch) and what index.html/manifest replace
RUNTIME_EXCLUDE = re.compile(
    r"(\.symbols$|\.map$|\.d\.ts$|^flutter_service_worker\.js$|^index\.html$"
    r"|^manifest\.json$|^favicon\.png$|^icons/|^version\.json$"
    r"|^pyodide/(python|python\.bat|python\.exe|python_cli_entry\.mjs|package\.json)$)"
)

#: font families Flutter would load at every start that the app never draws with: KaTeX
#: (flet's Markdown maths) and the Cupertino icons (0.8 MB, 17 requests); their files stay
#: out of the precache
UNUSED_FONTS = re.compile(r"^packages/(flutter_math_fork|cupertino_icons)/")

#: files of the pure-Python packages the browser never reads: type stubs and markers, and
#: the holiday names' translations (1,100 files to unpack at every start; the app asks
#: `holidays` for dates only, and without a catalogue names stay in the country's language)
PACKAGE_EXCLUDE = re.compile(r"(\.pyi$|/py\.typed$|^holidays/locale/)")

#: the renderer variants Flutter's loader can pick, and the files each needs beyond the
#: core; the service worker precaches only the one the browser actually used
RENDERERS: dict[str, tuple[str, ...]] = {
    "skwasm": ("main.dart.wasm", "main.dart.mjs", "canvaskit/skwasm.js", "canvaskit/skwasm.wasm"),
    "skwasm_heavy": (
        "main.dart.wasm",
        "main.dart.mjs",
        "canvaskit/skwasm_heavy.js",
        "canvaskit/skwasm_heavy.wasm",
    ),
    "wimp": ("main.dart.wasm", "main.dart.mjs", "canvaskit/wimp.js", "canvaskit/wimp.wasm"),
    "canvaskit": ("main.dart.js", "canvaskit/canvaskit.js", "canvaskit/canvaskit.wasm"),
    "canvaskit_chromium": (
        "main.dart.js",
        "canvaskit/chromium/canvaskit.js",
        "canvaskit/chromium/canvaskit.wasm",
    ),
}

#: runtime files every start needs, whatever the renderer
CORE_RUNTIME = (
    "flutter.js",
    "flutter_bootstrap.js",
    "python.js",
    "python-worker.js",
    "assets/AssetManifest.bin",
    "assets/AssetManifest.bin.json",
    "assets/FontManifest.json",
    "assets/fonts/MaterialIcons-Regular.otf",
    "assets/fonts/roboto.woff2",
    "pyodide/pyodide.mjs",
    "pyodide/pyodide.asm.mjs",
    "pyodide/pyodide.asm.wasm",
    "pyodide/pyodide-lock.json",
    "pyodide/python_stdlib.zip",
)

#: the fixed-name files at the root (the service worker itself is precached by the browser)
CORE_ROOT = (
    "/",
    "/manifest.webmanifest",
    "/icons/icon-192.png",
    "/icons/icon-512.png",
    "/icons/maskable-512.png",
    "/favicon.png",
)

#: a fixed time for every archive member (2020-01-01), so the archive never changes by itself
FIXED_MTIME = 1577836800
#: the same time as a zip member's date (year, month, day, hour, minute, second; UTC)
FIXED_DATE = time.gmtime(FIXED_MTIME)[:6]

#: the pure-Python packages, in one zip on ``sys.path`` (``zipimport``): writing their
#: 1,400 files into Pyodide's file system was most of the package's 0.45 s unpacking; the
#: compiled ones stay files in ``__pypackages__/`` (a shared library is loaded from a file)
PURE_ZIP = "site-packages.zip"

#: Python put into the worker's boot script (a JS template string: no backslashes, no
#: ``${``) right before it runs the app: the pure-Python packages' zip on ``sys.path``
BOOT_PYTHON = f"""
        sys.path.insert(1, os.path.abspath("{PURE_ZIP}"))
"""

#: JavaScript put at the top of the worker: Pyodide's ``fsInit`` hook, which runs before
#: Python starts. It copies the compiled-code cache of an earlier start from Cache Storage
#: into the file system and writes the module that installs it as Python starts
#: (``pwa/code_cache.py``, through ``sitecustomize``).
FS_INIT_JS = """// Shipfloor (pwa/build.py): the compiled-code cache, before Python starts.
const SHIPFLOOR_CODE_CACHE = __SETTINGS__;
// Whatever fails here, Python starts: without the cache, it compiles as it always did.
async function shipfloorFsInit(FS, { sitePackages }) {
    const settings = SHIPFLOOR_CODE_CACHE;
    const url = settings.prefix + String(self.appPackageUrl).split("/").pop();
    try {
        const hit = await (await caches.open(settings.cache)).match(url);
        if (hit) FS.writeFile(settings.blob, new Uint8Array(await hit.arrayBuffer()));
    } catch (error) {
        console.warn("code cache: not read (" + error + ")");
    }
    try {
        FS.mkdirTree(sitePackages);
        FS.writeFile(sitePackages + "/" + settings.module + ".py", settings.source);
        FS.writeFile(
            sitePackages + "/sitecustomize.py",
            "import " + settings.module + "\\n" + settings.module + ".boot(" + JSON.stringify(url) + ")\\n"
        );
    } catch (error) {
        console.warn("code cache: not installed (" + error + ")");
    }
}
"""


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Tree:
    """Files by relative path (``a/b.js``) with their bytes: the unit that gets hashed."""

    files: dict[str, bytes] = field(default_factory=dict)

    def digest(self) -> str:
        """A hash of every path and content, independent of insertion order."""
        h = hashlib.sha256()
        for path in sorted(self.files):
            h.update(path.encode() + b"\0" + _sha(self.files[path]).encode() + b"\n")
        return h.hexdigest()

    def write(self, root: Path) -> None:
        """Write every file under ``root``."""
        for path in sorted(self.files):
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(self.files[path])


# ----------------------------------------------------------------------------- inputs


def flet_web_dir() -> Path:
    """The installed flet-web client (Flutter build, renderers, Pyodide)."""
    import flet_web

    return Path(flet_web.__file__).resolve().parent / "web"


def _walk(root: Path) -> Iterator[tuple[str, Path]]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            yield path.relative_to(root).as_posix(), path


def app_sources() -> dict[str, Path]:
    """The repository's Python the app runs (``mobile/``, ``shared/``) by archive path."""
    found: dict[str, Path] = {}
    for package in APP_SOURCES:
        for rel, path in _walk(ROOT / package):
            if path.suffix in (".py", ".typed"):
                found[f"{package}/{rel}"] = path
    return found


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_modules() -> set[str]:
    """Top-level modules the app's sources import (absolute imports, anywhere in a file)."""
    names: set[str] = set()
    for path in app_sources().values():
        if path.suffix != ".py":
            continue
        for node in ast.walk(ast.parse(path.read_bytes(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - set(APP_SOURCES) - {"__future__"}


def browser_distributions() -> list[str]:
    """Every distribution the app needs in the browser: its imports and their requirements."""
    from packaging.markers import default_environment
    from packaging.requirements import Requirement

    environment = {**default_environment(), **BROWSER_MARKERS}
    owners = importlib.metadata.packages_distributions()
    todo: list[str] = list(ALWAYS)
    for module in sorted(imported_modules() - NATIVE_ONLY - PYODIDE_BUILTINS):
        if module not in owners:
            raise SystemExit(f"pwa: the app imports {module!r}, which is not installed")
        todo.extend(owners[module])
    seen: set[str] = set()
    while todo:
        name = _canonical(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            if any(_canonical(spec.split("==")[0]) == name for spec in PYODIDE_WHEELS):
                continue
            raise SystemExit(f"pwa: {name} is required in the browser but not installed") from None
        for text in dist.requires or ():
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate(environment):  # type: ignore[arg-type]
                todo.append(req.name)
    return sorted(seen)


def pure_packages() -> dict[str, Path]:
    """The installed files of the pure-Python distributions, by ``__pypackages__`` path."""
    found: dict[str, Path] = {}
    wheels = {_canonical(spec.split("==")[0]) for spec in PYODIDE_WHEELS}
    for name in browser_distributions():
        if name in wheels:
            continue
        dist = importlib.metadata.distribution(name)
        compiled = [f for f in dist.files or () if f.suffix in (".so", ".pyd")]
        if compiled:
            raise SystemExit(
                f"pwa: {name} has compiled code: pin its Pyodide wheel in PYODIDE_WHEELS"
            )
        for file in dist.files or ():
            rel = file.as_posix()
            if rel.startswith("..") or "__pycache__" in rel or rel.endswith(".pyc"):
                continue
            if PACKAGE_EXCLUDE.search(rel):
                continue
            if ".dist-info/" in rel and not rel.endswith(("/METADATA", "/top_level.txt")):
                continue
            path = Path(str(file.locate())).resolve()
            if path.is_file():
                found[rel] = path
    return found


def pyodide_wheels(offline: bool = False) -> list[Path]:
    """The pinned Pyodide wheels, from the cache or downloaded into it once."""
    WHEEL_CACHE.mkdir(parents=True, exist_ok=True)
    wanted: list[Path] = []
    missing: list[str] = []
    for spec in PYODIDE_WHEELS:
        name, version = spec.split("==")
        hits = sorted(WHEEL_CACHE.glob(f"{name}-{version}-*.whl"))
        if hits:
            wanted.append(hits[0])
        else:
            missing.append(spec)
    if missing:
        if offline:
            raise SystemExit(f"missing Pyodide wheels {missing} and --offline was given")
        print(f"pwa: downloading Pyodide wheels {' '.join(missing)}", flush=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--only-binary=:all:",
                "--platform",
                PYODIDE_PLATFORM,
                "--python-version",
                PYODIDE_PYTHON,
                "--implementation",
                "cp",
                "--dest",
                str(WHEEL_CACHE),
                *missing,
            ],
            check=True,
        )
        return pyodide_wheels(offline=True)
    return wanted


def input_hash(wheels: Iterable[Path]) -> str:
    """A hash of everything the output depends on (the stamp that skips a rebuild)."""
    h = hashlib.sha256()
    sources: dict[str, Path] = {
        **{f"app/{k}": v for k, v in app_sources().items()},
        **{f"pure/{k}": v for k, v in pure_packages().items()},
        **{f"web/{k}": v for k, v in _walk(flet_web_dir())},
        **{f"pwa/{k}": v for k, v in _walk(HERE) if v.suffix in (".py", ".js", ".html")},
        **{f"wheel/{w.name}": w for w in wheels},
    }
    for key in sorted(sources):
        h.update(key.encode() + b"\0" + _sha(sources[key].read_bytes()).encode() + b"\n")
    return h.hexdigest()


# ----------------------------------------------------------------------------- outputs


def build_runtime() -> Tree:
    """The flet-web client, trimmed, with Flutter's service worker loader taken out."""
    tree = Tree()
    for rel, path in _walk(flet_web_dir()):
        if not RUNTIME_EXCLUDE.search(rel):
            tree.files[rel] = path.read_bytes()
    bootstrap = tree.files["flutter_bootstrap.js"].decode()
    # Flutter's loader would register its own service worker (a kill switch that
    # unregisters ours, and the page reload-loops): the block has to go.
    patched, count = re.subn(r"\n\s*serviceWorkerSettings:\s*\{[^}]*\},", "", bootstrap)
    if count != 1:
        raise SystemExit("pwa: flutter_bootstrap.js changed shape: serviceWorkerSettings not found")
    tree.files["flutter_bootstrap.js"] = patched.encode()
    tree.files["python-worker.js"] = python_worker(tree.files["python-worker.js"].decode())
    # Roboto, Flutter's default font, from the bundle rather than the fallback-font URL
    # (what `flet publish` does too).
    fonts = [
        f
        for f in json.loads(tree.files["assets/FontManifest.json"])
        if not UNUSED_FONTS.match(str(f.get("family", "")))
    ]
    if not any(f.get("family") == "Roboto" for f in fonts):
        fonts.append({"family": "Roboto", "fonts": [{"asset": "fonts/roboto.woff2"}]})
    tree.files["assets/FontManifest.json"] = json.dumps(fonts, separators=(",", ":")).encode()
    for rel in (*CORE_RUNTIME, *{f for files in RENDERERS.values() for f in files}):
        if rel not in tree.files:
            raise SystemExit(f"pwa: flet-web has no {rel}: update pwa/build.py for this version")
    return tree


def python_worker(worker: str) -> bytes:
    """flet-web's Python worker with the compiled-code cache and the packages' zip."""
    settings = {
        "cache": code_cache.CACHE_NAME,
        "prefix": code_cache.ENTRY_PREFIX,
        "blob": code_cache.BLOB_PATH,
        "module": code_cache.BROWSER_MODULE,
        "source": (HERE / "code_cache.py").read_text(encoding="utf-8"),
    }
    init = FS_INIT_JS.replace("__SETTINGS__", json.dumps(settings, sort_keys=True))
    load = "self.pyodide = await loadPyodide({\n"
    started = "\n        flet_js.userAppStarting()\n"
    for marker in (load, started):
        if worker.count(marker) != 1:
            raise SystemExit(f"pwa: python-worker.js changed shape: {marker.strip()!r} not found")
    worker = worker.replace(load, load + "            fsInit: shipfloorFsInit,\n", 1)
    worker = worker.replace(started, started + BOOT_PYTHON.lstrip("\n"), 1)
    return (init + "\n" + worker).encode()


def _tar_member(name: str, size: int, mode: int = 0o644) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = FIXED_MTIME
    info.mode = mode
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _wheel_files(wheel: Path) -> dict[str, bytes]:
    """A wheel's files as they install (no ``.dist-info`` beyond its METADATA)."""
    files: dict[str, bytes] = {}
    with zipfile.ZipFile(wheel) as zf:
        for item in zf.infolist():
            name = item.filename
            if item.is_dir() or "__pycache__" in name:
                continue
            if ".dist-info/" in name and not name.endswith(("/METADATA", "/top_level.txt")):
                continue
            files[name] = zf.read(item)
    return files


def _folders(name: str) -> list[str]:
    """The folders an archive member sits in, outermost first (``a/b/c.py`` → ``a``, ``a/b``)."""
    parts = name.split("/")[:-1]
    return ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]


def _stored_zip(files: dict[str, bytes]) -> bytes:
    """A zip of ``files`` for ``zipimport``: uncompressed (the package's gzip compresses it),
    with its folders, fixed times and modes, sorted: the same files give the same bytes."""
    folders = {f"{folder}/" for name in files for folder in _folders(name)}
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_STORED) as zf:
        for name in sorted(folders | set(files)):
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.create_system = 3  # Unix: the mode bits below are read
            if name in folders:
                info.external_attr = (0o40755 << 16) | 0x10  # and the MS-DOS folder flag
                zf.writestr(info, b"")
            else:
                info.external_attr = 0o100644 << 16
                zf.writestr(info, files[name])
    return raw.getvalue()


def app_package(wheels: list[Path]) -> bytes:
    """``app.tar.gz``: entry ``main.py``, the app's sources, the pure-Python packages in
    ``site-packages.zip`` and the compiled ones in ``__pypackages__/``. Reproducible."""
    files: dict[str, bytes] = {"main.py": (HERE / "entry.py").read_bytes()}
    for rel, path in app_sources().items():
        files[rel] = path.read_bytes()
    pure = {rel: path.read_bytes() for rel, path in pure_packages().items()}
    for wheel in wheels:
        unpacked = _wheel_files(wheel)
        if any(rel.endswith(".so") for rel in unpacked):
            files.update((f"__pypackages__/{rel}", data) for rel, data in unpacked.items())
        else:
            pure.update(unpacked)
    files[PURE_ZIP] = _stored_zip(pure)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        dirs: set[str] = set()
        for name in sorted(files):
            for folder in _folders(name):
                if folder not in dirs:
                    dirs.add(folder)
                    info = _tar_member(folder, 0, 0o755)
                    info.type = tarfile.DIRTYPE
                    tar.addfile(info)
            tar.addfile(_tar_member(name, len(files[name])), io.BytesIO(files[name]))
    out = io.BytesIO()
    # No file name and a zero time in the gzip header: the same tar gives the same bytes.
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=9) as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def manifest() -> bytes:
    """The web app manifest (what makes the app installable)."""
    doc = {
        "id": "/",
        "name": NAME,
        "short_name": SHORT_NAME,
        "description": DESCRIPTION,
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "any",
        "theme_color": THEME_COLOR,
        "background_color": BACKGROUND_COLOR,
        "categories": ["business", "productivity"],
        "icons": [
            {"src": "/icons/icon-192.png", "sizes": "192x192", "type": "image/png"},
            {"src": "/icons/icon-512.png", "sizes": "512x512", "type": "image/png"},
            {
                "src": "/icons/maskable-512.png",
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    return (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()


def index_html(runtime: str, package: str, build_id: str) -> bytes:
    """flet-web's page with our config: local runtime, Python in the browser, no CDN."""
    page = (flet_web_dir() / "index.html").read_text(encoding="utf-8")
    base = f"/r/{runtime}/"
    config = "\n".join(
        [
            "flet.pyodide = true;",
            "flet.micropipIncludePre = false;",
            'flet.pythonModuleName = "main";',
            f'flet.appPackageUrl = "/{package}";',
            # Absolute: the module worker cannot resolve a bare relative specifier.
            f'flet.pyodideUrl = "{base}pyodide/pyodide.mjs";',
            f'flet.canvasKitBaseUrl = "{base}canvaskit/";',
            # Relative to the asset base: Flutter prefixes it with "<assetBase>assets/".
            'flet.fontFallbackBaseUrl = "fonts/";',
            "flet.noCdn = true;",
            'flet.webRenderer = "auto";',
            'flet.routeUrlStrategy = "path";',
            f'flet.entrypointBaseUrl = "{base}";',
            f'flet.assetBase = "{base}";',
            f'window.shipfloorBuild = "{build_id}";',
        ]
    )
    replacements = [
        ("<!-- fletAppConfig -->", f"<script>\n{config}\n</script>"),
        ('<script src="python.js"></script>', f'<script src="{base}python.js"></script>'),
        (
            '<script src="flutter_bootstrap.js" async></script>',
            f'<script src="{base}flutter_bootstrap.js" async></script>\n'
            f"  <script>\n{(HERE / 'page.js').read_text(encoding='utf-8')}\n  </script>",
        ),
        (
            '<link rel="manifest" href="manifest.json">',
            '<link rel="manifest" href="/manifest.webmanifest">',
        ),
        (
            '<link rel="apple-touch-icon" href="icons/apple-touch-icon-192.png">',
            '<link rel="apple-touch-icon" href="/icons/icon-192.png">',
        ),
        ('href="favicon.png"', 'href="/favicon.png"'),
        (
            '<img src="icons/loading-animation.png" alt="" />',
            '<img src="/icons/icon-192.png" alt="" />',
        ),
        ("<title>Flet</title>", f"<title>{NAME}</title>"),
        ('content="Flet application."', f'content="{DESCRIPTION}"'),
        (
            'content="Flet">',
            f'content="{SHORT_NAME}">\n  <meta name="theme-color" content="{THEME_COLOR}">',
        ),
        ("background: #222222;", f"background: {BACKGROUND_DARK};"),
    ]
    for old, new in replacements:
        if old not in page:
            raise SystemExit(f"pwa: flet-web's index.html changed shape: {old!r} not found")
        page = page.replace(old, new, 1)
    return page.encode()


def service_worker(build_id: str, core: list[str], renderers: dict[str, list[str]]) -> bytes:
    """``sw.js``: the click-routing helpers and the worker, with this build's file lists."""
    settings = json.dumps(
        {
            "version": build_id,
            "core": core,
            "renderers": renderers,
            "codeCache": code_cache.CACHE_NAME,
        },
        indent=1,
        sort_keys=True,
    )
    source = (HERE / "sw.js").read_text(encoding="utf-8")
    marker = "/*__BUILD__*/ null"
    if marker not in source:
        raise SystemExit("pwa: sw.js lost its build marker")
    click = (HERE / "click.js").read_text(encoding="utf-8")
    return (click + "\n" + source.replace(marker, settings)).encode()


def build(out: Path, wheels: list[Path]) -> dict[str, object]:
    """Write the whole PWA into ``out`` (replaced); returns what ``build.json`` says."""
    runtime = build_runtime()
    runtime_hash = runtime.digest()[:16]
    package = app_package(wheels)
    package_name = f"app-{_sha(package)[:16]}.tar.gz"

    site = Tree()
    for rel, data in runtime.files.items():
        site.files[f"r/{runtime_hash}/{rel}"] = data
    site.files[package_name] = package
    site.files["manifest.webmanifest"] = manifest()
    for rel, data in icons.render(THEME_COLOR).items():
        site.files[rel] = data

    base = f"/r/{runtime_hash}/"
    # Flutter loads every font of its manifest at start: they are part of the core.
    fonts = [
        f"assets/{font['asset']}"
        for family in json.loads(runtime.files["assets/FontManifest.json"])
        for font in family["fonts"]
    ]
    runtime_core = sorted(set(CORE_RUNTIME) | set(fonts))
    core = [*CORE_ROOT, *(base + rel for rel in runtime_core), f"/{package_name}"]
    renderers = {name: [base + rel for rel in files] for name, files in RENDERERS.items()}
    # The build id names the cache: a hash of everything but the page and worker that
    # carry it (and of their templates, so a change to either is a new version).
    templates = b"".join((HERE / n).read_bytes() for n in ("page.js", "sw.js", "click.js"))
    build_id = _sha((site.digest() + _sha(templates)).encode())[:16]
    site.files["index.html"] = index_html(runtime_hash, package_name, build_id)
    site.files["sw.js"] = service_worker(build_id, core, renderers)

    precache_bytes = sum(
        len(site.files["index.html" if url == "/" else url.lstrip("/")]) for url in core
    )
    info: dict[str, object] = {
        "version": build_id,
        "runtime": base,
        "app_package": f"/{package_name}",
        "precache_core": core,
        "renderers": renderers,
        "precache_core_bytes": precache_bytes,
        "renderer_bytes": {
            name: sum(len(site.files[u.lstrip("/")]) for u in urls)
            for name, urls in renderers.items()
        },
        "files": {path: _sha(data)[:32] for path, data in sorted(site.files.items())},
    }

    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    site.write(tmp)
    # Last: the server trusts its hashes only for files no newer than it.
    (tmp / "build.json").write_text(json.dumps(info, indent=1, sort_keys=True) + "\n")
    old = out.with_name(out.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    tmp.rename(out)
    shutil.rmtree(old, ignore_errors=True)
    return info


def main(argv: list[str] | None = None) -> int:
    """Build when the inputs changed (or with ``--force``); print where it went."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    parser.add_argument("--offline", action="store_true", help="never run pip download")
    args = parser.parse_args(argv)
    out: Path = args.out.resolve()
    wheels = pyodide_wheels(offline=args.offline)
    stamp = out.with_name(out.name + ".stamp")
    digest = input_hash(wheels)
    built = (out / "build.json").exists() and stamp.exists()
    if not args.force and built and stamp.read_text().strip() == digest:
        print(f"pwa: {out} is up to date")
        return 0
    info = build(out, wheels)
    stamp.write_text(digest + "\n")
    mb = 1_000_000  # decimal megabytes, as the precache goal is stated
    core = int(str(info["precache_core_bytes"]))
    print(
        f"pwa: built {out} (version {info['version']}; precache {core / mb:.1f} MB"
        f" + renderer {int(dict(info['renderer_bytes'])['skwasm']) / mb:.1f} MB)"  # type: ignore[call-overload]
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
