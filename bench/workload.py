"""The benchmark's input: Lead.Capture bodies for a store of existing leads, made up front from one seed.

`make_workload` draws a population of existing leads (captured before any timing) and a shuffled stream
of bodies: new leads, captures that match an existing lead by email (written in another casing now and
then), and captures that match one by phone only (written as people type phones: `9876543210`,
`+91 98765 43210`, `098765 43210`, ...). Every email and phone is distinct, so each body's outcome is known
in advance and the run can check that the engine did what the mix says.
"""

from __future__ import annotations

import random  # noqa: TID251 - the benchmark draws its own bodies from a fixed seed
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Final

import msgspec

from leadcapture.normalize import email_by_library, phone_by_library

FIRST_NAMES: Final = (
    "Aarav", "Vivaan", "Aditya", "Vihaan", "Arjun", "Sai", "Reyansh", "Ayaan", "Krishna", "Ishaan", "Rohan",
    "Kabir", "Aanya", "Diya", "Saanvi", "Ananya", "Pari", "Myra", "Aadhya", "Kiara", "Priya", "Sneha", "Neha",
    "Pooja", "Rahul", "Amit", "Vikram", "Meera", "Kavya", "Nikhil", "Sanjay", "Deepa", "Lakshmi", "Farhan",
)  # fmt: skip
LAST_NAMES: Final = (
    "Sharma", "Verma", "Gupta", "Iyer", "Reddy", "Nair", "Patel", "Shah", "Mehta", "Kumar", "Singh", "Das",
    "Rao", "Joshi", "Kulkarni", "Menon", "Pillai", "Chatterjee", "Banerjee", "Khan", "Fernandes", "Bose",
)  # fmt: skip
CITIES: Final = (
    "Mumbai", "Delhi", "Bengaluru", "Hyderabad", "Chennai", "Kolkata", "Pune", "Ahmedabad", "Jaipur", "Kochi",
    "Lucknow", "Indore", "Nagpur", "Chandigarh", "Coimbatore",
)  # fmt: skip
STATES: Final = ("Maharashtra", "Delhi", "Karnataka", "Telangana", "Tamil Nadu", "West Bengal", "Gujarat", "Kerala")
SOURCES: Final = ("Website", "Google Ads", "Facebook", "LinkedIn", "Referral", "Webinar", "Trade Show", "Inbound Call")
MEDIUMS: Final = ("cpc", "organic", "email", "social", "display")
CAMPAIGNS: Final = ("diwali-offer", "spring-webinar", "brand-search", "retargeting-q3", "newsletter-42")
COMPANIES: Final = ("Acme Infotech", "Zenith Logistics", "Sunrise Foods", "Bluewave Systems", "Kaveri Textiles")
TITLES: Final = ("Manager", "Director", "Founder", "Analyst", "Engineer", "Consultant")
FREE_MAIL: Final = ("gmail.com", "yahoo.co.in", "outlook.com", "hotmail.com", "rediffmail.com", "yahoo.com")
WORK_MAIL: Final = ("acme-infotech.com", "zenithlogistics.in", "sunrisefoods.co.in", "bluewave.io", "kaveri.net")

PhoneForm = Callable[[str], str]

PHONE_FORMS: Final[tuple[tuple[PhoneForm, float], ...]] = (
    (lambda n: n, 0.35),  # 9876543210
    (lambda n: f"+91 {n[:5]} {n[5:]}", 0.20),  # +91 98765 43210
    (lambda n: f"+91{n}", 0.12),  # +919876543210
    (lambda n: f"+91-{n}", 0.08),  # +91-9876543210
    (lambda n: f"0{n}", 0.06),  # 09876543210
    (lambda n: f"{n[:5]} {n[5:]}", 0.06),  # 98765 43210
    (lambda n: f"{n[:5]}-{n[5:]}", 0.04),  # 98765-43210
    (lambda n: f"91{n}", 0.04),  # 919876543210
    (lambda n: f"(+91) {n[:5]}-{n[5:]}", 0.03),  # (+91) 98765-43210: left to the library
    (lambda n: f"+91 (0) {n[:5]} {n[5:]}", 0.02),  # +91 (0) 98765 43210: left to the library
)
"""How people write an Indian mobile number in a web form, with rough shares."""

NEW_SHARE: Final = 0.4
EMAIL_SHARE: Final = 0.4
"""The rest (20%) match by phone."""


class Kind(Enum):
    """What a body is expected to do to the store."""

    NEW = "new lead"
    EMAIL = "email match"
    PHONE = "phone match"


@dataclass(frozen=True)
class Person:
    """One lead's identity as the generator knows it: stored email and national phone digits."""

    first: str
    last: str
    email: str
    phone: str
    city: str


@dataclass(frozen=True)
class Workload:
    """Bodies to capture before timing (`seed_bodies`) and the timed stream (`bodies`, with `kinds`)."""

    seed: int
    seed_bodies: tuple[bytes, ...]
    seed_people: tuple[Person, ...]
    bodies: tuple[bytes, ...]
    kinds: tuple[Kind, ...]
    emails: tuple[str, ...]
    """Every email value the stream submits, as written."""
    phones: tuple[str, ...]
    """Every phone value the stream submits, as written."""

    def count(self, kind: Kind) -> int:
        """How many bodies of the stream are of `kind`."""
        return sum(1 for k in self.kinds if k is kind)


class _People:
    """Draws people with emails and phones never drawn before."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._emails: set[str] = set()
        self._phones: set[str] = set()

    def draw(self) -> Person:
        rng = self._rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        while True:
            email = self._email(first, last)
            if email.lower() not in self._emails:
                self._emails.add(email.lower())
                break
        while True:
            phone = str(rng.randint(6, 9)) + "".join(rng.choice("0123456789") for _ in range(9))
            if phone not in self._phones:
                self._phones.add(phone)
                break
        return Person(first=first, last=last, email=email, phone=phone, city=rng.choice(CITIES))

    def _email(self, first: str, last: str) -> str:
        rng = self._rng
        number = rng.randint(1, 99_999)
        shape = rng.random()
        if shape < 0.4:
            local = f"{first}.{last}{number}"
        elif shape < 0.7:
            local = f"{first}{number}"
        elif shape < 0.85:
            local = f"{first[0]}_{last}{number}"
        else:
            local = f"{first}.{last}+{rng.choice(('leads', 'news', 'web'))}{number}"
        domain = rng.choice(WORK_MAIL) if rng.random() < 0.25 else rng.choice(FREE_MAIL)
        address = f"{local}@{domain}"
        return address if rng.random() < 0.3 else address.lower()


def _phone_as_written(rng: random.Random, national: str) -> str:
    forms = [form for form, _ in PHONE_FORMS]
    weights = [weight for _, weight in PHONE_FORMS]
    return rng.choices(forms, weights)[0](national)


def _email_as_written(rng: random.Random, email: str) -> str:
    """The stored email, or the same address in another casing (it still matches, R-N1)."""
    shape = rng.random()
    if shape < 0.5:
        return email
    if shape < 0.7:
        return email.lower()
    if shape < 0.85:
        return email.upper()
    local, _, domain = email.partition("@")
    return f"{local.capitalize()}@{domain.upper()}"


def _body(rng: random.Random, person: Person, *, email: str | None, phone: str | None) -> bytes:
    """A web form's Lead.Capture body: identity, source and a few optional profile fields."""
    pairs: list[tuple[str, str]] = [("FirstName", person.first), ("LastName", person.last)]
    if email is not None:
        pairs.append(("EmailAddress", email))
    if phone is not None:
        pairs.append(("Phone", phone))
    pairs.append(("Source", rng.choice(SOURCES)))
    if rng.random() < 0.6:
        pairs.append(("SourceMedium", rng.choice(MEDIUMS)))
    if rng.random() < 0.4:
        pairs.append(("SourceCampaign", rng.choice(CAMPAIGNS)))
    if rng.random() < 0.9:
        pairs.append(("City", person.city if rng.random() < 0.8 else rng.choice(CITIES)))
    if rng.random() < 0.3:
        pairs.append(("State", rng.choice(STATES)))
        pairs.append(("Country", "India"))
    if rng.random() < 0.3:
        pairs.append(("Company", rng.choice(COMPANIES)))
    if rng.random() < 0.2:
        pairs.append(("JobTitle", rng.choice(TITLES)))
    if rng.random() < 0.1:
        pairs.append(("Notes", "Asked for a call back about pricing."))
    return msgspec.json.encode([{"Attribute": name, "Value": value} for name, value in pairs])


def make_workload(*, seed: int, existing: int, captures: int) -> Workload:
    """`existing` leads to capture up front and `captures` bodies in the 40/40/20 mix, all from `seed`."""
    rng = random.Random(seed)
    people = _People(rng)
    seed_people = tuple(people.draw() for _ in range(existing))
    seed_bodies = tuple(_body(rng, p, email=p.email, phone=p.phone) for p in seed_people)
    n_new = round(captures * NEW_SHARE)
    n_email = round(captures * EMAIL_SHARE)
    kinds = [Kind.NEW] * n_new + [Kind.EMAIL] * n_email + [Kind.PHONE] * (captures - n_new - n_email)
    rng.shuffle(kinds)
    bodies: list[bytes] = []
    emails: list[str] = []
    phones: list[str] = []
    for kind in kinds:
        email: str | None
        phone: str | None
        if kind is Kind.NEW:
            person = people.draw()
            email = person.email
            phone = _phone_as_written(rng, person.phone) if rng.random() < 0.8 else None
        elif kind is Kind.EMAIL:
            person = rng.choice(seed_people)
            email = _email_as_written(rng, person.email)
            # Half also give their phone, in whatever form: the same number, so never a clash.
            phone = _phone_as_written(rng, person.phone) if rng.random() < 0.5 else None
        else:
            person = rng.choice(seed_people)
            email = None
            phone = _phone_as_written(rng, person.phone)
        bodies.append(_body(rng, person, email=email, phone=phone))
        if email is not None:
            emails.append(email)
        if phone is not None:
            phones.append(phone)
    return Workload(
        seed=seed,
        seed_bodies=seed_bodies,
        seed_people=seed_people,
        bodies=tuple(bodies),
        kinds=tuple(kinds),
        emails=tuple(emails),
        phones=tuple(phones),
    )


def check_contact_forms(workload: Workload, sample: int = 500) -> None:
    """Fail loudly if a generated email is invalid or a phone form does not parse to the lead's number."""
    for email in workload.emails[:sample]:
        if email_by_library(email) is None:
            msg = f"generated email {email!r} is invalid"
            raise AssertionError(msg)
    for person in workload.seed_people[:sample]:
        for form, _ in PHONE_FORMS:
            written = form(person.phone)
            if phone_by_library(written, 91) != f"+91-{person.phone}":
                msg = f"generated phone {written!r} does not parse to +91-{person.phone}"
                raise AssertionError(msg)
