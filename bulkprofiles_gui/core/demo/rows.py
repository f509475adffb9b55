"""Row generation of the demo: profiles and what hangs on them, in plain Python.

Deterministic: the same seed, number of profiles and ``now`` give the same
rows, whether they are made in this process or in the loader's helper process.
Values are prepared in a form both backends' bulk paths accept as they are;
timestamps are written in exactly the text form SQLAlchemy's ``DateTime`` uses
on SQLite, so they compare correctly with bound parameters and read back as
``datetime`` (PostgreSQL parses the same text).  Categorical draws come from
1024-slot lookup tables (one ``getrandbits(10)`` per draw) to keep the hot
loop cheap.  Nothing here touches the database.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ..fields import PHONE_CHANNELS, STATUSES, Status
from ..store import FieldInfo
from .reference import (
    ACTIVE_EVENT_COUNTS,
    CAMPAIGNS,
    CODE_ALPHABET,
    COUNTRIES,
    DAY,
    DORMANT_DAYS,
    DORMANT_EVENT_COUNTS,
    GLOBAL_STATUS_WEIGHTS,
    HISTORY_DAYS,
    IP_FIRST_OCTETS,
    MESSAGE_EVENT_WEIGHTS,
    NO_BIRTHDAY,
    REGISTRATION_DAYS,
    SITE_EVENT_WEIGHTS,
    SUBSCRIPTION_PLAN,
    SUBSCRIPTION_STATUS_WEIGHTS,
    TAG_COUNTS,
    TAG_TABLE,
    Country,
    slug,
    weighted_table,
)

#: Profiles per chunk: the unit of generation, writing and progress.
CHUNK_PROFILES = 20_000
#: Promo code rows per chunk.
PROMO_CHUNK = 50_000

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


class Clock:
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


@dataclass
class DemoSetup:
    """Ids of the catalogue rows the generated rows refer to."""

    database_id: int
    fields: dict[str, FieldInfo]
    resources: dict[str, int]
    programs: dict[str, int]


class DemoGenerator:
    """Makes the rows of one demo: profile chunks, then promo codes."""

    def __init__(self, *, profiles: int, seed: int, now: dt.datetime) -> None:
        self.n = profiles
        self.rng = random.Random(seed)
        # Promo codes draw from their own stream: the profile rows may be made
        # in another process (see _chunks_from_helper_process).
        self.promo_rng = random.Random(f"promo codes {seed}")
        self.clock = Clock(now)
        # Plain str, not Status members: cheaper to pass to the driver and between processes.
        self.sub_status_table = [str(s) for s in weighted_table(SUBSCRIPTION_STATUS_WEIGHTS)]
        self.global_status_table = [str(s) for s in weighted_table(GLOBAL_STATUS_WEIGHTS)]
        self.message_table = weighted_table(MESSAGE_EVENT_WEIGHTS)
        self.site_table = weighted_table(SITE_EVENT_WEIGHTS)
        self.loyalty_table = weighted_table(
            {None: 100, "bronze": 450, "silver": 270, "gold": 130, "platinum": 50}
        )
        self.city_tables = {
            c.name: weighted_table([*c.cities, (None, sum(w for _c, w in c.cities) // 50)])
            for c in COUNTRIES
        }
        #: 4096 (country, first, last, gender, first slug, last slug), each
        #: country in proportion to its weight: one look-up per profile.
        self.people = [
            self._person(country)
            for country in weighted_table([(c, c.weight) for c in COUNTRIES], size=4096)
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
        first = pick(country.female if female else country.male, self.rng.random())
        last = pick(country.last, self.rng.random())
        gender = "female" if female else "male"
        return country, first, last, gender, slug(first), slug(last)

    def _tag_set(self) -> tuple[str, ...]:
        count = TAG_COUNTS[self.rng.getrandbits(4)]
        tags: list[str] = []
        while len(tags) < count:
            tag = TAG_TABLE[self.rng.getrandbits(10)]
            if tag not in tags:
                tags.append(tag)
        return tuple(tags)

    # ---- profiles and what hangs on them (many) --------------------------
    def profile_chunks(self, setup: DemoSetup, first_id: int) -> Iterator[tuple[int, ChunkRows]]:
        """Yield (profiles done so far, rows of the chunk), in id order."""
        # 1024 draws of "which subscriptions would this profile take": one
        # look-up per profile instead of a draw per resource and channel.
        plans = [
            [
                (setup.resources[res], channel, contact_kind(channel))
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
        setup: DemoSetup,
        plans: list[list[tuple[int, str, str]]],
        site_events: list[tuple[str, int | None]],
        first_id: int,
        size: int,
    ) -> ChunkRows:
        """The rows of profiles ``first_id`` .. ``first_id + size - 1``.

        One loop with what it needs in local variables: it runs once per
        profile, a million times for the benchmark, and CPython charges for
        every attribute look-up and call.
        """
        rows = ChunkRows()
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
                birthdays[int(rnd() * (rnd() + 0.3) * 15000)] if rnd() < 0.9 else NO_BIRTHDAY
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
                    span, count = dormant_end - start, DORMANT_EVENT_COUNTS[bits(4)]
                else:
                    span, count = now - start, ACTIVE_EVENT_COUNTS[bits(4)]
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
        domain = pick(country.domains, rnd())
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
            prefix = pick(country.phone_prefixes, self.rng.random())
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
        return f"{IP_FIRST_OCTETS[bits(7)]}.{bits(8)}.{bits(8)}.{1 + bits(7)}"

    # ---- promo codes, triggers, segments -------------------------------
    def promo_code_chunks(self, setup: DemoSetup, first_id: int) -> Iterator[list[tuple[Any, ...]]]:
        """Rows of both pools: Winter sale (~5 % of N) and Birthday club (~2 % of N).

        In chunks of ``PROMO_CHUNK`` rows, so that 700,000 codes of a
        10,000,000-profile demo are never all in memory at once.
        """
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
                if len(rows) >= PROMO_CHUNK:
                    yield rows
                    rows = []
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
        if rows:
            yield rows

    def _code(self, prefix: str, seen: set[str]) -> str:
        while True:
            body = "".join(CODE_ALPHABET[self.promo_rng.getrandbits(5)] for _ in range(8))
            code = f"{prefix}{body[:4]}-{body[4:]}"
            if code not in seen:
                seen.add(code)
                return code


class ChunkRows:
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


def contact_kind(channel: str) -> str:
    if channel == "email":
        return "email"
    if channel in PHONE_CHANNELS:
        return "phone"
    if channel == "telegram_bot":
        return "telegram"
    return "app"


def pick(options: Sequence[str], draw: float) -> str:
    return options[int(draw * len(options))]
