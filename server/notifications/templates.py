"""The words of every email: a subject, a plain-text part and an HTML part per message kind.

Messages to sellers talk about work (what to pick, by when); messages to customers talk
about their parcel. Each template takes one :class:`Mail` context and returns a
:class:`Rendered`; the HTML part says the same as the text, escaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from html import escape

from server.notifications.schemas import Kind, OrderSnapshot
from server.notifications.webpush import local_day, money
from shared.carriers import CARRIERS, tracking_url


@dataclass(frozen=True)
class Mail:
    """Everything a template may show."""

    snap: OrderSnapshot
    vendor_name: str
    timezone: str
    #: the app's address (order links, relative tracking links)
    public_url: str
    #: the customer's "I got it" link (delivered email)
    confirm_url: str = ""


@dataclass(frozen=True)
class Rendered:
    """A message's subject and its two parts."""

    subject: str
    text: str
    html: str


def _html(title: str, paragraphs: list[str], link: tuple[str, str] | None = None) -> str:
    """The HTML part: the text's paragraphs, escaped, with one button-like link."""
    body = "".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)
    if link is not None:
        label, href = link
        body += (
            f'<p><a href="{escape(href, quote=True)}" style="display:inline-block;'
            "padding:.6em 1.2em;background:#1d4ed8;color:#fff;border-radius:6px;"
            f'text-decoration:none">{escape(label)}</a></p>'
        )
    return (
        '<!doctype html><html><body style="font-family:system-ui,sans-serif;'
        'line-height:1.5;max-width:36rem;margin:auto;padding:1rem">'
        f"<h2>{escape(title)}</h2>{body}</body></html>"
    )


def _text(paragraphs: list[str], link: tuple[str, str] | None = None) -> str:
    text = "\n\n".join(paragraphs)
    if link is not None:
        text += f"\n\n{link[0]}: {link[1]}"
    return text + "\n"


def _summary(m: Mail) -> str:
    s = m.snap
    items = f"{s.item_count} item" + ("" if s.item_count == 1 else "s")
    return f"{items}, {money(s.total_minor, s.currency)}"


def absolute(url: str, public_url: str) -> str:
    """A link that works from a mail client (the demo carrier's links are relative)."""
    return url if url.startswith(("http://", "https://")) else public_url + url


def new_order_seller(m: Mail) -> Rendered:
    """To the seller: a new order is waiting to be picked."""
    s = m.snap
    due = f"ship by {local_day(s.ship_by, m.timezone)}" if s.ship_by else "awaiting payment"
    subject = f"New order {s.number}: {_summary(m)}, {due}"
    paragraphs = [
        f"{s.customer_name} ordered {_summary(m)}.",
        f"Ship-by: {local_day(s.ship_by, m.timezone) if s.ship_by else 'set once paid'}. "
        "The recommended target is within 24–48 hours of payment.",
    ]
    link = ("Open the order", f"{m.public_url}/orders/{s.order_id}")
    return Rendered(subject, _text(paragraphs, link), _html(subject, paragraphs, link))


def delayed_seller(m: Mail) -> Rendered:
    """To the seller: an order is past (or close to) its ship-by."""
    s = m.snap
    due = local_day(s.ship_by, m.timezone) if s.ship_by else "its deadline"
    subject = f"Order {s.number} is late: ship-by {due}"
    paragraphs = [
        f"Order {s.number} for {s.customer_name} ({_summary(m)}) has not shipped and "
        f"its ship-by is {due}.",
        "The customer has been told it is running late.",
    ]
    link = ("Open the order", f"{m.public_url}/orders/{s.order_id}")
    return Rendered(subject, _text(paragraphs, link), _html(subject, paragraphs, link))


def conflict_seller(m: Mail) -> Rendered:
    """To the seller: two devices disagreed about an order and a rule settled it."""
    s = m.snap
    subject = f"Conflict on order {s.number}"
    paragraphs = [s.message or "Two devices recorded conflicting changes.", "Please check it."]
    link = ("Open the order", f"{m.public_url}/orders/{s.order_id}")
    return Rendered(subject, _text(paragraphs, link), _html(subject, paragraphs, link))


def shipped_customer(m: Mail) -> Rendered:
    """To the customer: the parcel is on its way, with carrier, number and tracking link."""
    s = m.snap
    carrier = CARRIERS.get(s.carrier.lower(), (s.carrier.upper(), (), ""))[0]
    track = tracking_url(s.carrier, s.tracking_number)
    subject = f"Your order {s.number} has shipped"
    paragraphs = [
        f"Hello {s.customer_name},",
        f"Good news: your order {s.number} from {m.vendor_name} is on its way.",
        f"Carrier: {carrier}\nTracking number: {s.tracking_number}",
    ]
    link = ("Track your parcel", absolute(track, m.public_url)) if track else None
    return Rendered(subject, _text(paragraphs, link), _html(subject, paragraphs, link))


def delayed_customer(m: Mail) -> Rendered:
    """To the customer: the order is running late, with a new estimate."""
    s = m.snap
    estimate = local_day_of(date.fromisoformat(s.new_estimate)) if s.new_estimate else "very soon"
    subject = f"Your order {s.number} is running late"
    paragraphs = [
        f"Hello {s.customer_name},",
        f"We are sorry: your order {s.number} from {m.vendor_name} is taking longer than planned.",
        f"We now expect to ship it by {estimate}. We will email you the tracking number as soon "
        "as it leaves.",
    ]
    return Rendered(subject, _text(paragraphs), _html(subject, paragraphs))


def delivered_customer(m: Mail) -> Rendered:
    """To the customer: the carrier delivered it; a link to say it arrived."""
    s = m.snap
    subject = f"Your order {s.number} was delivered"
    paragraphs = [
        f"Hello {s.customer_name},",
        f"The carrier reports that your order {s.number} from {m.vendor_name} was delivered.",
        "If anything is missing or damaged, just reply to this email.",
    ]
    link = ("Confirm you received it", m.confirm_url) if m.confirm_url else None
    return Rendered(subject, _text(paragraphs, link), _html(subject, paragraphs, link))


def local_day_of(day: date) -> str:
    """A date as people read it: ``Tue 24 Nov``."""
    return day.strftime("%a %d %b").replace(" 0", " ")


#: (kind, to the customer?) → template
TEMPLATES = {
    (Kind.NEW_ORDER, False): new_order_seller,
    (Kind.ORDER_DELAYED, False): delayed_seller,
    (Kind.CONFLICT, False): conflict_seller,
    (Kind.ORDER_SHIPPED, True): shipped_customer,
    (Kind.ORDER_DELAYED, True): delayed_customer,
    (Kind.ORDER_DELIVERED, True): delivered_customer,
}


def render(kind: str, to_customer: bool, mail: Mail) -> Rendered:
    """The message of this kind for this audience."""
    return TEMPLATES[(Kind(kind), to_customer)](mail)
