"""Demo data: a realistic, deterministic profile database for trying the tool.

``generate_demo(store, profiles=N, seed=S)`` creates a profile database
flagged ``is_demo`` with custom fields, resources and channels, subscriptions
in every status, an action history spread over 18 months (with many dormant
profiles), two loyalty programs, triggers and saved segments.  The same seed
and N (and the same ``now``) give identical rows.

Speed matters (1,000,000 profiles in about a minute on SQLite), so the rows
are made in plain Python and written in large chunks through the DBAPI:
``executemany`` on SQLite, ``COPY`` on PostgreSQL.  Values are prepared in a
form both accept as they are; on SQLite timestamps are written in exactly the
text form SQLAlchemy's ``DateTime`` uses there, so they compare correctly with
bound parameters and read back as ``datetime``.  Categorical draws come from
1024-slot lookup tables (one ``getrandbits(10)`` per draw) to keep the hot
loop cheap.
"""

from __future__ import annotations

import datetime as dt
import functools
import marshal
import multiprocessing
import queue
import random
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, insert, inspect, select, text
from sqlalchemy.exc import OperationalError

from . import models as m
from .fields import PHONE_CHANNELS, STATUSES, FieldType, Status
from .store import FieldInfo, Store

ProgressCallback = Callable[[str, int, int], None]

DEFAULT_DATABASE_NAME = "Demo customers"
CHUNK_PROFILES = 20_000
HISTORY_DAYS = 548  # about 18 months of action history
REGISTRATION_DAYS = 5 * 365
DORMANT_DAYS = 200  # "inactive for more than 6 months", with a margin
DAY = 86_400


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`generate_demo` made."""

    database_id: int
    database_name: str
    profiles: int
    list_values: int
    subscriptions: int
    events: int
    promo_codes: int
    segments: int
    triggers: int
    seconds: float

    @property
    def rows(self) -> int:
        return (
            self.profiles + self.list_values + self.subscriptions + self.events + self.promo_codes
        )


# -- vocabulary -------------------------------------------------------------


@dataclass(frozen=True)
class Country:
    name: str
    weight: int
    phone_prefixes: tuple[str, ...]  # "+49151" etc.; 7-8 digits follow
    cities: tuple[tuple[str, int], ...]
    male: tuple[str, ...]
    female: tuple[str, ...]
    last: tuple[str, ...]
    domains: tuple[str, ...]


# fmt: off
#: Countries: weight, mobile prefixes, (city, weight), male and female first
#: names, last names, email domains.
COUNTRIES: tuple[Country, ...] = (
    Country(
        "Germany", 30, ("+49151", "+49160", "+49170", "+49176"),
        (("Berlin", 30), ("Hamburg", 15), ("Munich", 15), ("Cologne", 10), ("Frankfurt", 10),
         ("Stuttgart", 8), ("Leipzig", 6), ("Düsseldorf", 6)),
        ("Lukas", "Maximilian", "Jonas", "Felix", "Paul", "Leon", "Tobias", "Jürgen", "Stefan",
         "Michael", "Andreas", "Florian"),
        ("Anna", "Lea", "Hannah", "Sophie", "Marie", "Laura", "Julia", "Katharina", "Sabine",
         "Petra", "Claudia", "Jana"),
        ("Schmidt", "Müller", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
         "Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Schröder"),
        ("gmail.com", "web.de", "gmx.de", "t-online.de", "outlook.com"),
    ),
    Country(
        "France", 18, ("+336", "+337"),
        (("Paris", 35), ("Lyon", 15), ("Marseille", 15), ("Toulouse", 10), ("Nice", 8),
         ("Bordeaux", 9), ("Lille", 8)),
        ("Lucas", "Hugo", "Louis", "Gabriel", "Arthur", "Jules", "Nicolas", "Julien", "Pierre",
         "Thomas", "Antoine", "François"),
        ("Emma", "Chloé", "Camille", "Léa", "Manon", "Inès", "Sarah", "Julie", "Céline",
         "Isabelle", "Claire", "Élodie"),
        ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
         "Moreau", "Simon", "Laurent", "Lefèvre", "Girard", "Roux"),
        ("gmail.com", "orange.fr", "free.fr", "laposte.net", "hotmail.fr"),
    ),
    Country(
        "Spain", 14, ("+346", "+347"),
        (("Madrid", 35), ("Barcelona", 30), ("Valencia", 12), ("Seville", 10), ("Bilbao", 7),
         ("Málaga", 6)),
        ("Hugo", "Martín", "Lucas", "Mateo", "Pablo", "Alejandro", "Javier", "Daniel", "Sergio",
         "Carlos", "José", "Álvaro"),
        ("Lucía", "Sofía", "María", "Martina", "Paula", "Julia", "Carmen", "Elena", "Laura",
         "Ana", "Marta", "Cristina"),
        ("García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez",
         "Gómez", "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno"),
        ("gmail.com", "yahoo.es", "hotmail.es", "telefonica.net", "outlook.es"),
    ),
    Country(
        "Italy", 14, ("+39320", "+39333", "+39347", "+39380"),
        (("Rome", 30), ("Milan", 30), ("Naples", 12), ("Turin", 10), ("Florence", 9), ("Bologna",
         9)),
        ("Leonardo", "Francesco", "Alessandro", "Lorenzo", "Mattia", "Andrea", "Gabriele",
         "Marco", "Luca", "Giuseppe", "Matteo", "Davide"),
        ("Sofia", "Giulia", "Aurora", "Alice", "Ginevra", "Emma", "Giorgia", "Chiara",
         "Francesca", "Valentina", "Sara", "Martina"),
        ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci",
         "Marino", "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Costa"),
        ("gmail.com", "libero.it", "virgilio.it", "alice.it", "tiscali.it"),
    ),
    Country(
        "Poland", 10, ("+4850", "+4851", "+4860", "+4869"),
        (("Warsaw", 35), ("Kraków", 20), ("Wrocław", 15), ("Gdańsk", 12), ("Poznań", 12), ("Łódź",
         6)),
        ("Jakub", "Antoni", "Jan", "Szymon", "Filip", "Kacper", "Piotr", "Tomasz", "Paweł",
         "Łukasz", "Michał", "Krzysztof"),
        ("Zuzanna", "Julia", "Maja", "Zofia", "Hanna", "Lena", "Anna", "Katarzyna", "Agnieszka",
         "Magdalena", "Joanna", "Małgorzata"),
        ("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski",
         "Zieliński", "Szymański", "Woźniak", "Dąbrowski", "Kozłowski", "Mazur", "Krawczyk",
         "Jankowski"),
        ("gmail.com", "wp.pl", "onet.pl", "interia.pl", "o2.pl"),
    ),
    Country(
        "United Kingdom", 14, ("+447700", "+447800", "+447900", "+447500"),
        (("London", 40), ("Manchester", 14), ("Birmingham", 12), ("Leeds", 9), ("Glasgow", 9),
         ("Bristol", 8), ("Edinburgh", 8)),
        ("Oliver", "George", "Harry", "Jack", "Noah", "Charlie", "James", "William", "Thomas",
         "Daniel", "Samuel", "Joseph"),
        ("Olivia", "Amelia", "Isla", "Ava", "Emily", "Sophie", "Grace", "Charlotte", "Jessica",
         "Emma", "Lucy", "Hannah"),
        ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
         "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts"),
        ("gmail.com", "hotmail.co.uk", "yahoo.co.uk", "btinternet.com", "outlook.com"),
    ),
)
# fmt: on

LOYALTY_LEVELS = ("bronze", "silver", "gold", "platinum")
#: Tags and how common they are.
TAG_WEIGHTS = {
    "vip": 60,
    "newsletter": 250,
    "b2b": 60,
    "wholesale": 30,
    "student": 90,
    "early_adopter": 50,
    "returning": 200,
    "mobile_only": 80,
    "gift_buyer": 100,
    "price_sensitive": 80,
}

#: name -> channels; the last one is not attached to the demo database.
RESOURCES: tuple[tuple[str, tuple[str, ...], bool], ...] = (
    ("Newsletter", ("email", "push"), True),
    ("Shop", ("email", "sms", "whatsapp", "viber", "push"), True),
    ("SMS alerts", ("sms", "whatsapp"), True),
    ("Mobile app", ("push", "notify", "telegram_bot"), True),
    ("Partner brand", ("email",), False),
)

#: (resource, channel, share of eligible profiles subscribed); eligibility by contact kind.
SUBSCRIPTION_PLAN: tuple[tuple[str, str, float], ...] = (
    ("Newsletter", "email", 0.78),
    ("Newsletter", "push", 0.12),
    ("Shop", "email", 0.40),
    ("Shop", "sms", 0.25),
    ("Shop", "whatsapp", 0.12),
    ("Shop", "viber", 0.04),
    ("Shop", "push", 0.08),
    ("SMS alerts", "sms", 0.20),
    ("SMS alerts", "whatsapp", 0.08),
    ("Mobile app", "push", 0.18),
    ("Mobile app", "notify", 0.08),
    ("Mobile app", "telegram_bot", 0.85),
    ("Partner brand", "email", 0.02),
)

SUBSCRIPTION_STATUS_WEIGHTS = {
    Status.SUBSCRIBED: 820,
    Status.UNSUBSCRIBED: 70,
    Status.UNCONFIRMED: 35,
    Status.HARDBOUNCED: 20,
    Status.COMPLAINER: 10,
    Status.SUSPENDED: 15,
    Status.INVALID: 30,
}
GLOBAL_STATUS_WEIGHTS = {
    Status.SUBSCRIBED: 900,
    Status.UNSUBSCRIBED: 50,
    Status.UNCONFIRMED: 20,
    Status.HARDBOUNCED: 10,
    Status.COMPLAINER: 5,
    Status.SUSPENDED: 8,
    Status.INVALID: 7,
}
MESSAGE_EVENT_WEIGHTS = {
    "sent": 330,
    "delivered": 280,
    "opened": 170,
    "clicked": 70,
    "unsubscribed": 12,
    "complained": 4,
    "bounced": 20,
}
SITE_EVENT_WEIGHTS = {"visit": 60, "purchase": 30, "form_submitted": 10}
CAMPAIGNS = (
    "Weekly digest",
    "Spring sale",
    "Summer sale",
    "Black Friday",
    "Welcome series",
    "Abandoned cart",
    "Back in stock",
    "Christmas gifts",
    "Loyalty news",
)


def _table(weights: dict[Any, int] | Sequence[tuple[Any, int]], size: int = 1024) -> list[Any]:
    """A lookup table of ``size`` slots filled in proportion to ``weights``."""
    pairs = list(weights.items()) if isinstance(weights, dict) else list(weights)
    total = sum(w for _v, w in pairs)
    out: list[Any] = []
    acc = 0
    for value, weight in pairs:
        acc += weight
        out.extend([value] * (round(acc * size / total) - len(out)))
    return out


_ASCII_EXTRA = str.maketrans({"ł": "l", "Ł": "L", "ß": "ss", "ø": "o", " ": ""})


def _slug(name: str) -> str:
    """ASCII, lower-case form of a name for email addresses."""
    plain = unicodedata.normalize("NFKD", name.translate(_ASCII_EXTRA))
    return "".join(c for c in plain if c.isascii() and c.isalnum()).lower()


# -- value formatting ---------------------------------------------------------


class _Clock:
    """Timestamps as whole seconds since the epoch, formatted for the store.

    Day and time-of-day texts are looked up in tables built once, since the
    generator formats several timestamps per profile.
    """

    _EPOCH = dt.datetime(1970, 1, 1)

    def __init__(self, now: dt.datetime) -> None:
        self.now = int((now - self._EPOCH).total_seconds())
        self.today = now.date()
        self.first_day = self.now // DAY - REGISTRATION_DAYS - 2
        self.day_text = [
            (self._EPOCH + dt.timedelta(days=day)).date().isoformat()
            for day in range(self.first_day, self.now // DAY + 2)
        ]
        self.time_text = _times_of_day()

    def timestamp(self, seconds: int) -> str:
        """The text SQLAlchemy's DateTime stores on SQLite (PostgreSQL parses it too)."""
        day, rest = divmod(seconds, DAY)
        index = day - self.first_day
        if 0 <= index < len(self.day_text):
            return self.day_text[index] + self.time_text[rest]
        return self.date(seconds) + self.time_text[rest]

    def date(self, seconds: int) -> str:
        index = seconds // DAY - self.first_day
        if 0 <= index < len(self.day_text):
            return self.day_text[index]
        return (self._EPOCH + dt.timedelta(seconds=seconds)).date().isoformat()


@functools.cache
def _times_of_day() -> list[str]:
    """' HH:MM:SS.000000' for every second of a day."""
    return [
        f" {hour:02d}:{minute:02d}:{second:02d}.000000"
        for hour in range(24)
        for minute in range(60)
        for second in range(60)
    ]


# -- writing rows ------------------------------------------------------------


class _BulkWriter:
    """Appends rows to a table through the DBAPI connection of ``conn``.

    Table and column names come from this module and the store's schema,
    never from user text.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect.name
        self.quote = conn.dialect.identifier_preparer.quote
        raw = conn.connection.dbapi_connection
        assert raw is not None
        self.raw = raw

    def write(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        names = ", ".join(self.quote(c) for c in columns)
        cursor = self.raw.cursor()
        try:
            if self.dialect == "postgresql":
                with cursor.copy(f"COPY {self.quote(table)} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" * len(columns))
                cursor.executemany(
                    f"INSERT INTO {self.quote(table)} ({names}) VALUES ({marks})", rows
                )
        finally:
            cursor.close()


# -- the generator -----------------------------------------------------------


@dataclass
class _Setup:
    database_id: int
    fields: dict[str, FieldInfo]
    resources: dict[str, int]
    programs: dict[str, int]


class _DemoGenerator:
    def __init__(self, *, profiles: int, seed: int, now: dt.datetime) -> None:
        self.n = profiles
        self.rng = random.Random(seed)
        # Promo codes draw from their own stream: the profile rows may be made
        # in another process (see _chunks_from_helper_process).
        self.promo_rng = random.Random(f"promo codes {seed}")
        self.clock = _Clock(now)
        # Plain str, not Status members: cheaper to pass to the driver and between processes.
        self.sub_status_table = [str(s) for s in _table(SUBSCRIPTION_STATUS_WEIGHTS)]
        self.global_status_table = [str(s) for s in _table(GLOBAL_STATUS_WEIGHTS)]
        self.message_table = _table(MESSAGE_EVENT_WEIGHTS)
        self.site_table = _table(SITE_EVENT_WEIGHTS)
        self.loyalty_table = _table(
            {None: 100, "bronze": 450, "silver": 270, "gold": 130, "platinum": 50}
        )
        self.city_tables = {
            c.name: _table([*c.cities, (None, sum(w for _c, w in c.cities) // 50)])
            for c in COUNTRIES
        }
        #: 4096 (country, first, last, gender, first slug, last slug), each
        #: country in proportion to its weight: one look-up per profile.
        self.people = [
            self._person(country)
            for country in _table([(c, c.weight) for c in COUNTRIES], size=4096)
        ]
        #: (birthday text, age) by days of age beyond 18 years.
        today = self.clock.today
        self.birthdays: list[tuple[str | None, int | None]] = []
        for extra_days in range(19_500):
            born = today - dt.timedelta(days=6575 + extra_days)
            age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
            self.birthdays.append((born.isoformat(), age))
        self.tag_sets = [self._tag_set() for _ in range(1024)]
        self.message_events = [
            (kind, CAMPAIGNS[i % len(CAMPAIGNS)]) for i, kind in enumerate(self.message_table)
        ]
        self.rng.shuffle(self.message_events)

    def _person(self, country: Country) -> tuple[Country, str, str, str, str, str]:
        female = self.rng.random() < 0.5
        first = _pick(country.female if female else country.male, self.rng.random())
        last = _pick(country.last, self.rng.random())
        gender = "female" if female else "male"
        return country, first, last, gender, _slug(first), _slug(last)

    def _tag_set(self) -> tuple[str, ...]:
        count = _TAG_COUNTS[self.rng.getrandbits(4)]
        tags: list[str] = []
        while len(tags) < count:
            tag = _TAG_TABLE[self.rng.getrandbits(10)]
            if tag not in tags:
                tags.append(tag)
        return tuple(tags)

    # ---- setup rows (few) ------------------------------------------------
    def setup(self, store: Store, conn: Connection, name: str) -> _Setup:
        db_id = store.create_database(
            conn,
            name,
            is_demo=True,
            description="Demo data made by 'bulkprofiles demo': invented people, safe to change.",
        )
        custom = (
            ("age", "Age", FieldType.INTEGER, ()),
            ("bonus_points", "Bonus points", FieldType.INTEGER, ()),
            ("average_check", "Average check", FieldType.FLOAT, ()),
            ("loyalty_level", "Loyalty level", FieldType.ENUM, LOYALTY_LEVELS),
            ("tags", "Tags", FieldType.TAGS, ()),
            ("vip", "VIP", FieldType.BOOLEAN, ()),
            ("last_purchase_on", "Last purchase", FieldType.DATE, ()),
            ("last_ip", "Last IP address", FieldType.IP, ()),
            ("telegram_id", "Telegram ID", FieldType.STRING, ()),
        )
        for key, label, ftype, options in custom:
            store.add_custom_field(conn, db_id, key, label, ftype, options)
        fields = {f.key: f for f in store.fields(conn, db_id)}
        resources = {res: self._resource(conn, res, chans) for res, chans, _a in RESOURCES}
        conn.execute(
            insert(m.ResourceDatabase),
            [
                {"resource_id": resources[res], "database_id": db_id}
                for res, _chans, attached in RESOURCES
                if attached
            ],
        )
        programs = {
            "Winter sale": self._program(conn, "Winter sale", name, db_id),
            "Birthday club": self._program(conn, "Birthday club", name, db_id),
        }
        return _Setup(db_id, fields, resources, programs)

    def _resource(self, conn: Connection, name: str, channels: tuple[str, ...]) -> int:
        """The resource named ``name`` (made if missing) with at least ``channels``."""
        res_id = conn.execute(select(m.Resource.id).where(m.Resource.name == name)).scalar()
        if res_id is None:
            res_id = conn.execute(
                insert(m.Resource).values(name=name).returning(m.Resource.id)
            ).scalar_one()
        have = set(
            conn.execute(
                select(m.ResourceChannel.channel).where(m.ResourceChannel.resource_id == res_id)
            ).scalars()
        )
        missing = [c for c in channels if c not in have]
        if missing:
            conn.execute(
                insert(m.ResourceChannel),
                [{"resource_id": res_id, "channel": c} for c in missing],
            )
        return int(res_id)

    def _program(self, conn: Connection, name: str, database_name: str, db_id: int) -> int:
        """A new program; named after the database if ``name`` is taken already."""
        taken = conn.execute(
            select(m.LoyaltyProgram.id).where(m.LoyaltyProgram.name == name)
        ).scalar()
        if taken is not None:
            name = f"{name} ({database_name})"
        return int(
            conn.execute(
                insert(m.LoyaltyProgram)
                .values(name=name, database_id=db_id)
                .returning(m.LoyaltyProgram.id)
            ).scalar_one()
        )

    def first_profile_id(self, conn: Connection) -> int:
        """Reserve a block of ``n`` profile ids and return the first one."""
        if conn.dialect.name == "postgresql":
            seq = conn.execute(text("SELECT pg_get_serial_sequence('profiles', 'id')")).scalar_one()
            first = int(conn.execute(text("SELECT nextval(:s)"), {"s": seq}).scalar_one())
            top = conn.execute(select(func.coalesce(func.max(m.Profile.id), 0))).scalar_one()
            first = max(first, int(top) + 1)
            conn.execute(text("SELECT setval(:s, :v)"), {"s": seq, "v": first + max(self.n, 1) - 1})
            return first
        top = conn.execute(select(func.coalesce(func.max(m.Profile.id), 0))).scalar_one()
        return int(top) + 1

    # ---- profiles and what hangs on them (many) --------------------------
    def profile_chunks(self, setup: _Setup, first_id: int) -> Iterator[tuple[int, _ChunkRows]]:
        """Yield (profiles done so far, rows of the chunk), in id order."""
        # 1024 draws of "which subscriptions would this profile take": one
        # look-up per profile instead of a draw per resource and channel.
        plans = [
            [
                (setup.resources[res], channel, _contact_kind(channel))
                for res, channel, share in SUBSCRIPTION_PLAN
                if self.rng.random() < share
            ]
            for _ in range(1024)
        ]
        site_events = [
            (kind, None if kind == "form_submitted" else setup.resources["Shop"])
            for kind in self.site_table
        ]
        done = 0
        while done < self.n:
            size = min(CHUNK_PROFILES, self.n - done)
            rows = self._chunk(setup, plans, site_events, first_id + done, size)
            if done == 0:
                rows.ensure_every_status()
            done += size
            yield done, rows

    def _chunk(
        self,
        setup: _Setup,
        plans: list[list[tuple[int, str, str]]],
        site_events: list[tuple[str, int | None]],
        first_id: int,
        size: int,
    ) -> _ChunkRows:
        """The rows of profiles ``first_id`` .. ``first_id + size - 1``.

        One loop with what it needs in local variables: it runs once per
        profile, a million times for the benchmark, and CPython charges for
        every attribute look-up and call.
        """
        rows = _ChunkRows()
        add_profile = rows.profiles.append
        add_values = rows.list_values.extend
        add_subscription = rows.subscriptions.append
        add_event = rows.events.append
        rnd = self.rng.random
        bits = self.rng.getrandbits
        email_for, phones_for, ip_for = self._email, self._phones, self._ip
        day_text, time_text = self.clock.day_text, self.clock.time_text
        first_day = self.clock.first_day
        now = self.clock.now
        history_start = now - HISTORY_DAYS * DAY
        dormant_end = now - DORMANT_DAYS * DAY
        recent = now - 170 * DAY
        people, cities = self.people, self.city_tables
        birthdays, tag_sets = self.birthdays, self.tag_sets
        global_statuses, sub_statuses = self.global_status_table, self.sub_status_table
        message_events, loyalty_levels = self.message_events, self.loyalty_table
        db_id = setup.database_id
        phones_id, tags_id = setup.fields["phones"].id, setup.fields["tags"].id
        invalid, unsubscribed = Status.INVALID.value, Status.UNSUBSCRIBED.value

        for pid in range(first_id, first_id + size):
            country, first, last, sex, first_slug, last_slug = people[bits(12)]
            gender = None if rnd() < 0.03 else sex
            city = cities[country.name][bits(10)]
            email, email_ok = email_for(first_slug, last_slug, country)
            phones = phones_for(country) if bits(2) else []
            tags = tag_sets[bits(10)]
            registered = now - int(rnd() ** 1.3 * REGISTRATION_DAYS * DAY) - bits(16)
            registered_text = day_text[registered // DAY - first_day] + time_text[registered % DAY]
            birthday, age = (
                birthdays[int(rnd() * (rnd() + 0.3) * 15000)] if rnd() < 0.9 else _NO_BIRTHDAY
            )
            status = global_statuses[bits(10)]
            telegram_id = str(100_000_000 + bits(32)) if rnd() < 0.10 else None
            app_user = rnd() < 0.35

            # Subscriptions: contact from the profile, mostly subscribed.
            subs: list[tuple[int, str]] = []
            for res_id, channel, kind in plans[bits(10)]:
                if kind == "email":
                    if email is None:
                        continue
                    contact, valid = email, email_ok
                elif kind == "phone":
                    if not phones:
                        continue
                    contact, valid = phones[0]
                elif kind == "telegram":
                    if telegram_id is None:
                        continue
                    contact, valid = telegram_id, True
                else:
                    if not app_user:
                        continue
                    contact, valid = str(pid), True
                if not valid and rnd() < 0.85:
                    sub_status = invalid
                elif status == unsubscribed and rnd() < 0.5:
                    sub_status = unsubscribed
                else:
                    sub_status = sub_statuses[bits(10)]
                if rnd() < 0.7:  # most subscribe when they register
                    since = registered_text
                else:
                    at = registered + int(rnd() * (now - registered) * 0.5)
                    since = day_text[at // DAY - first_day] + time_text[at % DAY]
                add_subscription((pid, res_id, channel, contact, sub_status, since, since))
                subs.append((res_id, channel))

            # Action history: none (8 %), dormant for over 6 months (32 %), or active.
            last_event = last_purchase = None
            activity = rnd()
            if activity >= 0.08:
                start = registered if registered > history_start else history_start
                dormant = activity < 0.40 and start < dormant_end - 30 * DAY
                if dormant:
                    span, count = dormant_end - start, _DORMANT_EVENT_COUNTS[bits(4)]
                else:
                    span, count = now - start, _ACTIVE_EVENT_COUNTS[bits(4)]
                times = [start + int(rnd() * span)]
                for _ in range(count - 1):
                    times.append(start + int(rnd() * span))
                times.sort()
                if not dormant and times[-1] < recent:
                    times[-1] = max(start, recent + int(rnd() * 169 * DAY))
                for at in times:
                    at_text = day_text[at // DAY - first_day] + time_text[at % DAY]
                    if subs and rnd() < 0.8:
                        res_id, channel = subs[int(rnd() * len(subs))]
                        kind_name, campaign = message_events[bits(10)]
                        add_event((pid, db_id, kind_name, channel, res_id, campaign, at_text))
                    else:
                        kind_name, resource = site_events[bits(10)]
                        if kind_name == "purchase":
                            last_purchase = at
                        add_event((pid, db_id, kind_name, None, resource, None, at_text))
                last_event = times[-1]

            loyalty = loyalty_levels[bits(10)]
            vip: bool | None = loyalty == "platinum" or "vip" in tags
            if not vip and rnd() < 0.15:
                vip = None
            if last_purchase is None and rnd() < 0.25:
                last_purchase = now - (HISTORY_DAYS + int(rnd() * 700)) * DAY
            if last_event is None:
                last_event_text = None
            else:
                last_event_text = (
                    day_text[last_event // DAY - first_day] + time_text[last_event % DAY]
                )
            add_profile(
                (
                    pid,
                    db_id,
                    email,
                    first,
                    last,
                    birthday,
                    gender,
                    city,
                    country.name if city or rnd() < 0.5 else None,
                    registered_text,
                    status,
                    registered_text,
                    last_event_text or registered_text,
                    last_event_text,
                    age,
                    int(rnd() ** 2 * 5000) if rnd() < 0.88 else None,
                    round(8 + rnd() ** 2 * 290, 2) if last_purchase or rnd() < 0.3 else None,
                    loyalty,
                    vip,
                    None if last_purchase is None else day_text[last_purchase // DAY - first_day],
                    ip_for() if rnd() < 0.8 else None,
                    telegram_id,
                )
            )
            if phones:
                add_values([(pid, phones_id, phone) for phone, _ok in phones])
            if tags:
                add_values([(pid, tags_id, tag) for tag in tags])
        return rows

    def _email(self, first: str, last: str, country: Country) -> tuple[str | None, bool]:
        """(email or None, whether it is well-formed) from name slugs; about 1.5 % malformed."""
        rnd = self.rng.random
        draw = rnd()
        if draw < 0.07:
            return None, False
        style = self.rng.getrandbits(2)
        if style == 0:
            local = f"{first}.{last}"
        elif style == 1:
            local = f"{first[0]}.{last}"
        elif style == 2:
            local = f"{first}{last}{self.rng.getrandbits(7)}"
        else:
            local = f"{first}.{last}{1950 + self.rng.getrandbits(6)}"
        domain = _pick(country.domains, rnd())
        if draw < 0.085:
            kind = self.rng.getrandbits(2)
            if kind == 0:
                return f"{local}@", False
            if kind == 1:
                return f"{local}.{domain}", False  # no at sign
            if kind == 2:
                return f"{local}@{domain.split('.')[0]}", False  # no top-level domain
            return f"{local}@@{domain}", False
        return f"{local}@{domain}", True

    def _phones(self, country: Country) -> list[tuple[str, bool]]:
        """1-2 phones as (number, well-formed); about 2 % are malformed."""
        count = 1 if self.rng.random() < 0.73 else 2
        phones: list[tuple[str, bool]] = []
        while len(phones) < count:
            prefix = _pick(country.phone_prefixes, self.rng.random())
            digits = f"{self.rng.getrandbits(30) % 10_000_000:07d}"
            if self.rng.random() < 0.02:
                number = f"{prefix[:3]} {prefix[3:]} {digits}" if digits[0] > "4" else f"0{digits}"
                phones.append((number, False))
            elif all(p != prefix + digits for p, _ok in phones):
                phones.append((prefix + digits, True))
        return phones

    def _ip(self) -> str:
        bits = self.rng.getrandbits
        if bits(7) == 0:
            return f"2a02:{bits(12) | 0x1000:x}::{bits(16) | 1:x}"
        return f"{_IP_FIRST_OCTETS[bits(7)]}.{bits(8)}.{bits(8)}.{1 + bits(7)}"

    # ---- promo codes, triggers, segments -------------------------------
    def promo_codes(self, setup: _Setup, first_id: int) -> list[tuple[Any, ...]]:
        """Rows of both pools: Winter sale (~5 % of N) and Birthday club (~2 % of N)."""
        rows: list[tuple[Any, ...]] = []
        seen: set[str] = set()
        pools = (
            ("Winter sale", "WS", max(10, round(self.n * 0.05)), (0.72, 0.90), 120),
            ("Birthday club", "BD", max(5, round(self.n * 0.02)), (0.30, 0.80), 365),
        )
        for program, prefix, size, (free_share, attached_share), days in pools:
            program_id = setup.programs[program]
            holders = self.promo_rng.sample(range(first_id, first_id + self.n), min(size, self.n))
            for i in range(size):
                code = self._code(f"{prefix}{program_id}-", seen)
                share = i / size
                if share < free_share or i >= len(holders):
                    rows.append((program_id, code, "free", None, None, None))
                    continue
                attached = self.clock.now - int(self.promo_rng.random() * days * DAY)
                attached_at = self.clock.timestamp(attached)
                if share < attached_share:
                    rows.append((program_id, code, "attached", holders[i], attached_at, None))
                else:
                    used = attached + int(self.promo_rng.random() * (self.clock.now - attached))
                    rows.append(
                        (
                            program_id,
                            code,
                            "activated",
                            holders[i],
                            attached_at,
                            self.clock.timestamp(used),
                        )
                    )
        return rows

    def _code(self, prefix: str, seen: set[str]) -> str:
        while True:
            body = "".join(_CODE_ALPHABET[self.promo_rng.getrandbits(5)] for _ in range(8))
            code = f"{prefix}{body[:4]}-{body[4:]}"
            if code not in seen:
                seen.add(code)
                return code

    def triggers_and_segments(self, conn: Connection, setup: _Setup) -> tuple[int, int]:
        db_id = setup.database_id
        triggers: list[dict[str, Any]] = [
            {
                "name": "Welcome email",
                "kind": "subscription",
                "resource_id": setup.resources["Newsletter"],
                "channel": "email",
            },
            {
                "name": "Local offers on city change",
                "kind": "field_updated",
                "field_id": setup.fields["city"].id,
            },
            {"name": "Sync changed profiles to CRM", "kind": "field_updated"},
            {
                "name": "Winter sale code sent",
                "kind": "promo_attached",
                "program_id": setup.programs["Winter sale"],
            },
        ]
        base = {"resource_id": None, "channel": None, "field_id": None, "program_id": None}
        conn.execute(
            insert(m.Trigger),
            [{**base, **t, "database_id": db_id, "active": True} for t in triggers],
        )
        now = m.utcnow()
        conn.execute(
            insert(m.Segment),
            [
                {
                    "database_id": db_id,
                    "name": name,
                    "rules": rules,
                    "range_from": 0.0,
                    "range_to": 100.0,
                    "limit": limit,
                    "created_at": now,
                    "updated_at": now,
                }
                for name, rules, limit in DEMO_SEGMENTS
            ],
        )
        return len(triggers), len(DEMO_SEGMENTS)


def _rule(field: str, operator: str, value: Any) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value}


def _group(combinator: str, *rules: dict[str, Any]) -> dict[str, Any]:
    return {"combinator": combinator, "not": False, "rules": list(rules)}


#: (name, react-querybuilder rules over system/custom fields, limit)
DEMO_SEGMENTS: tuple[tuple[str, dict[str, Any], int], ...] = (
    ("Berlin customers", _group("and", _rule("city", "=", "Berlin")), 0),
    ("Gold and platinum", _group("and", _rule("loyalty_level", "in", ["gold", "platinum"])), 0),
    (
        "Young Parisians",
        _group("and", _rule("city", "=", "Paris"), _rule("age", "between", [18, 29])),
        0,
    ),
    (
        "Big spenders",
        _group("or", _rule("average_check", ">=", 150), _rule("bonus_points", ">", 3000)),
        0,
    ),
    (
        "VIPs outside Germany",
        _group(
            "and",
            _rule("vip", "=", True),
            {"combinator": "and", "not": True, "rules": [_rule("country", "=", "Germany")]},
        ),
        500,
    ),
)


class _ChunkRows:
    """The rows of one chunk of profiles, ready for the writer."""

    def __init__(
        self,
        profiles: list[tuple[Any, ...]] | None = None,
        list_values: list[tuple[Any, ...]] | None = None,
        subscriptions: list[tuple[Any, ...]] | None = None,
        events: list[tuple[Any, ...]] | None = None,
    ) -> None:
        self.profiles = profiles or []
        self.list_values = list_values or []
        self.subscriptions = subscriptions or []
        self.events = events or []

    def as_lists(self) -> tuple[list[tuple[Any, ...]], ...]:
        """The rows as plain lists of tuples of str, int, float, bool and None.

        That is what ``marshal`` handles, the cheapest way to pass them to
        another process (about twice as fast as pickling to load).
        """
        return self.profiles, self.list_values, self.subscriptions, self.events

    def ensure_every_status(self) -> None:
        """Make sure even a small demo shows every global and subscription status."""
        _force_statuses(self.profiles, 10)
        _force_statuses(self.subscriptions, 4)


def _force_statuses(rows: list[tuple[Any, ...]], column: int) -> None:
    present = {row[column] for row in rows}
    missing = [s for s in STATUSES if s not in present]
    # Overwrite rows from the end that hold "subscribed" (the common status).
    index = len(rows) - 1
    for status in missing:
        while index >= 0 and rows[index][column] != Status.SUBSCRIBED:
            index -= 1
        if index < 0:
            return
        row = rows[index]
        rows[index] = (*row[:column], status, *row[column + 1 :])
        index -= 1


def _contact_kind(channel: str) -> str:
    if channel == "email":
        return "email"
    if channel in PHONE_CHANNELS:
        return "phone"
    if channel == "telegram_bot":
        return "telegram"
    return "app"


def _pick(options: Sequence[str], draw: float) -> str:
    return options[int(draw * len(options))]


_NO_BIRTHDAY: tuple[str | None, int | None] = (None, None)
#: Events per dormant / active profile (8 % have none): about 2.5 per profile overall.
_DORMANT_EVENT_COUNTS = _table({1: 45, 2: 35, 3: 20}, size=16)
_ACTIVE_EVENT_COUNTS = _table({1: 20, 2: 25, 3: 20, 4: 15, 5: 10, 6: 6, 8: 4}, size=16)
_TAG_COUNTS = _table({0: 45, 1: 33, 2: 16, 3: 6}, size=16)
_TAG_TABLE = _table(TAG_WEIGHTS)
_IP_FIRST_OCTETS = [o for o in range(1, 224) if o not in (10, 100, 127, 169, 172, 192)][:128]
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

PROFILE_COLUMNS = (
    "id",
    "database_id",
    "email",
    "first_name",
    "last_name",
    "birthday",
    "gender",
    "city",
    "country",
    "registered_at",
    "global_status",
    "created_at",
    "updated_at",
    "last_interaction_at",
)
#: Custom scalar fields in the order of the profile tuple after PROFILE_COLUMNS.
PROFILE_CUSTOM_KEYS = (
    "age",
    "bonus_points",
    "average_check",
    "loyalty_level",
    "vip",
    "last_purchase_on",
    "last_ip",
    "telegram_id",
)
SUBSCRIPTION_COLUMNS = (
    "profile_id",
    "resource_id",
    "channel",
    "contact",
    "status",
    "created_at",
    "updated_at",
)
EVENT_COLUMNS = (
    "profile_id",
    "database_id",
    "type",
    "channel",
    "resource_id",
    "campaign",
    "occurred_at",
)
PROMO_COLUMNS = ("program_id", "code", "status", "profile_id", "attached_at", "activated_at")
LIST_VALUE_COLUMNS = ("profile_id", "field_id", "value")


@contextmanager
def _sqlite_bulk_settings(conn: Connection) -> Iterator[None]:
    """On SQLite, connection settings for one large load, restored afterwards.

    - A rollback journal instead of the write-ahead log: in WAL mode every page
      of a large transaction is written twice (to the log, then back into the
      file at the checkpoint), and pages spilled from the cache mid-transaction
      pile up in the log.  With a rollback journal new pages go straight into
      the file and the transaction stays atomic.  Switching needs the file to
      ourselves; if another connection has it open, the load stays in WAL mode.
    - A large page cache (``LOAD_CACHE_KIB``) for the inserts.
    - Temporary files on disk rather than in memory: CREATE INDEX then sorts in
      cache-sized runs and merges them, about a third faster than one huge
      in-memory sort (measured at 200,000 profiles).
    - No foreign-key look-ups per row: the generator makes every reference from
      the ids it has just written (tests run ``PRAGMA foreign_key_check``).
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    cache = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    temp_store = conn.exec_driver_sql("PRAGMA temp_store").scalar()
    foreign_keys = conn.exec_driver_sql("PRAGMA foreign_keys").scalar()
    conn.exec_driver_sql(f"PRAGMA cache_size={LOAD_CACHE_KIB}")
    conn.exec_driver_sql("PRAGMA temp_store=FILE")
    conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
    switched = False
    try:
        conn.exec_driver_sql("PRAGMA busy_timeout=0")
        mode = conn.exec_driver_sql("PRAGMA journal_mode=DELETE").scalar()
        switched = str(mode).lower() == "delete"
    except OperationalError:
        pass
    finally:
        conn.exec_driver_sql("PRAGMA busy_timeout=10000")
        conn.commit()
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size={int(cache if cache is not None else -2000)}")
        conn.exec_driver_sql(f"PRAGMA temp_store={int(temp_store or 0)}")
        conn.exec_driver_sql(f"PRAGMA foreign_keys={int(foreign_keys or 0)}")
        if switched:
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        conn.commit()


#: SQLite page cache of the loading connection (negative: KiB), and the smaller
#: one while it builds indexes (the size of each sorted run).
LOAD_CACHE_KIB = -1_000_000
INDEX_BUILD_CACHE_KIB = -16_000

#: Tables the generator fills in bulk.
BULK_TABLES = ("profiles", "profile_list_values", "subscriptions", "events")


@contextmanager
def _secondary_indexes_dropped(conn: Connection, *, adding: int) -> Iterator[None]:
    """Drop the non-unique indexes of the bulk tables for the load, then rebuild them.

    Building an index once over sorted data is much cheaper than keeping it up
    to date row by row (about a third of the load time at 1,000,000 profiles
    on SQLite).  Only done when the load at least doubles the profiles; the
    indexes are the schema's own (``models``), rebuilt inside the same
    transaction, so a failure leaves them as they were.
    """
    existing = conn.execute(select(func.count()).select_from(m.Profile)).scalar_one()
    if existing > adding:
        yield
        return
    present = {ix["name"] for table in BULK_TABLES for ix in inspect(conn).get_indexes(table)}
    dropped = [
        index
        for table in BULK_TABLES
        for index in sorted(m.Base.metadata.tables[table].indexes, key=lambda i: str(i.name))
        if not index.unique and index.name in present
    ]
    for index in dropped:
        index.drop(conn)
    yield
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA cache_size={INDEX_BUILD_CACHE_KIB}")
    for index in dropped:
        index.create(conn)


#: From this many profiles on, the rows are made in a helper process.
PIPELINE_MIN_PROFILES = 200_000


@dataclass(frozen=True)
class _GeneratorParams:
    profiles: int
    seed: int
    now: dt.datetime


def _chunks_from_helper_process(
    params: _GeneratorParams, setup: _Setup, first_id: int
) -> Iterator[tuple[int, _ChunkRows]]:
    """The profile chunks, made by a helper process while this one writes.

    Making rows is pure Python and writing them is mostly the database
    driver, so with two cores the two overlap.  The helper runs the same
    generator from the same seed, so the rows are the same as in-process.
    A thread would not do: the two halves would fight over the GIL.
    """
    context = multiprocessing.get_context("spawn")  # no fork of a process with threads
    handoff = context.Queue(maxsize=2)
    helper = context.Process(
        target=_make_chunks,
        args=(params, setup, first_id, handoff),
        name="bulkprofiles-demo-rows",
        daemon=True,
    )
    helper.start()
    try:
        while True:
            try:
                item = handoff.get(timeout=5)
            except queue.Empty:
                if not helper.is_alive():
                    raise RuntimeError(
                        f"the demo row maker stopped unexpectedly (exit code {helper.exitcode})"
                    ) from None
                continue
            if item is None:
                return
            if isinstance(item, str):
                raise RuntimeError(f"the demo row maker failed: {item}")
            done, packed = item
            yield done, _ChunkRows(*marshal.loads(packed))
    finally:
        if helper.is_alive():
            helper.terminate()
        helper.join()
        handoff.cancel_join_thread()
        handoff.close()


def _make_chunks(params: _GeneratorParams, setup: _Setup, first_id: int, handoff: Any) -> None:
    """Body of the helper process: every chunk, then None (or the error as text)."""
    try:
        generator = _DemoGenerator(profiles=params.profiles, seed=params.seed, now=params.now)
        for done, rows in generator.profile_chunks(setup, first_id):
            handoff.put((done, marshal.dumps(rows.as_lists())))
        handoff.put(None)
    except BaseException as exc:  # reported to the parent, which raises it
        handoff.put(f"{type(exc).__name__}: {exc}")


# -- public API -----------------------------------------------------------------


def generate_demo(
    store: Store,
    *,
    profiles: int,
    seed: int,
    database_name: str = DEFAULT_DATABASE_NAME,
    progress: ProgressCallback | None = None,
    now: dt.datetime | None = None,
) -> DemoSummary:
    """Create the demo profile database ``database_name`` with ``profiles`` profiles.

    Deterministic: the same ``seed``, ``profiles`` and ``now`` (default: the
    current UTC time, to the second) give identical rows.  All of it is one
    transaction: on an error nothing is left behind.  Raises ``StoreError``
    if the name is taken.  ``progress(stage, done, total)`` is called per chunk.
    """
    if profiles < 1:
        raise ValueError("the demo needs at least one profile")
    started = time.monotonic()
    report = progress or (lambda _stage, _done, _total: None)
    params = _GeneratorParams(profiles, seed, now or m.utcnow().replace(microsecond=0))
    gen = _DemoGenerator(profiles=profiles, seed=seed, now=params.now)
    counts = {"list_values": 0, "subscriptions": 0, "events": 0}
    try:
        with store.engine.connect() as conn, _sqlite_bulk_settings(conn), conn.begin():
            setup = gen.setup(store, conn, database_name)
            first_id = gen.first_profile_id(conn)
            writer = _BulkWriter(conn)
            profile_columns = (
                *PROFILE_COLUMNS,
                *(store.field_column(setup.fields[k]).name for k in PROFILE_CUSTOM_KEYS),
            )
            report("profiles", 0, profiles)
            with _secondary_indexes_dropped(conn, adding=profiles):
                if profiles >= PIPELINE_MIN_PROFILES:
                    chunks = _chunks_from_helper_process(params, setup, first_id)
                else:
                    chunks = gen.profile_chunks(setup, first_id)
                for done, rows in chunks:
                    writer.write("profiles", profile_columns, rows.profiles)
                    writer.write("profile_list_values", LIST_VALUE_COLUMNS, rows.list_values)
                    writer.write("subscriptions", SUBSCRIPTION_COLUMNS, rows.subscriptions)
                    writer.write("events", EVENT_COLUMNS, rows.events)
                    counts["list_values"] += len(rows.list_values)
                    counts["subscriptions"] += len(rows.subscriptions)
                    counts["events"] += len(rows.events)
                    report("profiles", done, profiles)
                report("indexes", 0, 1)
            report("indexes", 1, 1)
            codes = gen.promo_codes(setup, first_id)
            writer.write("promo_codes", PROMO_COLUMNS, codes)
            report("promo codes", len(codes), len(codes))
            triggers, segments = gen.triggers_and_segments(conn, setup)
    except BaseException:
        store.refresh_schema()  # the custom columns went with the rolled-back transaction
        raise
    report("statistics", 0, 1)
    store.analyze()
    report("statistics", 1, 1)
    return DemoSummary(
        database_id=setup.database_id,
        database_name=database_name.strip(),
        profiles=profiles,
        list_values=counts["list_values"],
        subscriptions=counts["subscriptions"],
        events=counts["events"],
        promo_codes=len(codes),
        segments=segments,
        triggers=triggers,
        seconds=time.monotonic() - started,
    )


def ensure_demo_store(store: Store, *, profiles: int = 20_000) -> bool:
    """Fill a store that has no profile database with the demo (seed 1).

    Returns True if it made the demo; the GUI calls this on first start.
    """
    with store.begin() as conn:
        has_database = conn.execute(select(m.ProfileDatabase.id).limit(1)).first() is not None
    if has_database:
        return False
    generate_demo(store, profiles=profiles, seed=1)
    return True
