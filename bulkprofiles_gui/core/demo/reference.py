"""Reference data of the demo: the invented world its rows are drawn from.

Countries with their cities, names, phone prefixes and email domains; tags,
resources and channels; how often each status, event and campaign occurs; the
saved segments.  Plain data and two small helpers, no database: the row
generator (``rows``) and the loader (``load``) both read it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..fields import Status

DEFAULT_DATABASE_NAME = "Demo customers"
HISTORY_DAYS = 548  # about 18 months of action history
REGISTRATION_DAYS = 5 * 365
DORMANT_DAYS = 200  # "inactive for more than 6 months", with a margin
DAY = 86_400


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


def weighted_table(
    weights: dict[Any, int] | Sequence[tuple[Any, int]], size: int = 1024
) -> list[Any]:
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


def slug(name: str) -> str:
    """ASCII, lower-case form of a name for email addresses."""
    plain = unicodedata.normalize("NFKD", name.translate(_ASCII_EXTRA))
    return "".join(c for c in plain if c.isascii() and c.isalnum()).lower()


def rule(field: str, operator: str, value: Any) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value}


def group(combinator: str, *rules: dict[str, Any]) -> dict[str, Any]:
    return {"combinator": combinator, "not": False, "rules": list(rules)}


#: (name, react-querybuilder rules over system/custom fields, limit)
DEMO_SEGMENTS: tuple[tuple[str, dict[str, Any], int], ...] = (
    ("Berlin customers", group("and", rule("city", "=", "Berlin")), 0),
    ("Gold and platinum", group("and", rule("loyalty_level", "in", ["gold", "platinum"])), 0),
    (
        "Young Parisians",
        group("and", rule("city", "=", "Paris"), rule("age", "between", [18, 29])),
        0,
    ),
    (
        "Big spenders",
        group("or", rule("average_check", ">=", 150), rule("bonus_points", ">", 3000)),
        0,
    ),
    (
        "VIPs outside Germany",
        group(
            "and",
            rule("vip", "=", True),
            {"combinator": "and", "not": True, "rules": [rule("country", "=", "Germany")]},
        ),
        500,
    ),
)


NO_BIRTHDAY: tuple[str | None, int | None] = (None, None)
#: Events per dormant / active profile (8 % have none): about 2.5 per profile overall.
DORMANT_EVENT_COUNTS = weighted_table({1: 45, 2: 35, 3: 20}, size=16)
ACTIVE_EVENT_COUNTS = weighted_table({1: 20, 2: 25, 3: 20, 4: 15, 5: 10, 6: 6, 8: 4}, size=16)
TAG_COUNTS = weighted_table({0: 45, 1: 33, 2: 16, 3: 6}, size=16)
TAG_TABLE = weighted_table(TAG_WEIGHTS)
IP_FIRST_OCTETS = [o for o in range(1, 224) if o not in (10, 100, 127, 169, 172, 192)][:128]
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
