"""Words the criteria parser knows: number words, property sub type and feature synonyms, price
cues, and the words that end a city name."""

from __future__ import annotations

from leadflow.model.amounts import WORDS_TO_TEN


def words(text: str) -> frozenset[str]:
    """The whitespace-separated words of ``text``."""
    return frozenset(text.split())


NUMBER_WORDS = dict(WORDS_TO_TEN)

# Phrase patterns (lower case, matched on word boundaries) -> RESO PropertySubType or feature
# tag. Both tables are matched together, longest match first, so "home office" is a feature and
# not a house, and "mobile home" is not a single-family residence.
SUB_TYPE_PHRASES: dict[str, str] = {
    r"single[\s-]?family(?:[\s-](?:home|house|residence|detached))?s?": "SingleFamilyResidence",
    r"sfrs?|sfhs?|detached (?:home|house)s?": "SingleFamilyResidence",
    r"houses?|homes?|bungalows?|cottages?": "SingleFamilyResidence",
    r"condos?|condominiums?": "Condominium",
    r"town[\s-]?(?:house|home)s?|row[\s-]?(?:house|home)s?": "Townhouse",
    r"apartments?|apts?": "Apartment",
    r"duplex(?:es)?": "Duplex",
    r"triplex(?:es)?": "Triplex",
    r"(?:four|4|quad)[\s-]?plex(?:es)?|quadruplex(?:es)?": "Quadruplex",
    r"multi[\s-]?family(?: homes?| propert(?:y|ies))?|multi[\s-]?units?": "MultiFamily",
    r"manufactured(?:[\s-](?:home|house)s?)?": "ManufacturedHome",
    r"mobile[\s-]?homes?|trailers?": "MobileHome",
    r"co-?ops?|cooperatives?": "StockCooperative",
    r"cabins?": "Cabin",
    r"ranch(?:es)?": "Ranch",
    r"farms?|farmland": "Farm",
    r"land|acreage|(?:vacant|empty|building|buildable) lots?": "UnimprovedLand",
}

FEATURE_PHRASES: dict[str, str] = {
    r"(?:swimming |private |in[\s-]?ground )?pools?": "pool",
    r"hot[\s-]?tubs?|spas?|jacuzzis?": "spa",
    r"(?:water|lake|ocean|beach|river|bay|canal|sound)[\s-]?front(?:age)?|on the (?:water|lake)": (
        "waterfront"
    ),
    r"views?": "view",
    r"(?:\d+[\s-]?car )?garages?": "garage",
    r"fire[\s-]?places?": "fireplace",
    r"(?:finished )?basements?": "basement",
    r"(?:back|front|fenced|big|large)?[\s-]?yards?|gardens?": "yard",
    r"new(?:ly)?[\s-](?:construction|build|built)|brand[\s-]new": "new_construction",
    r"balcon(?:y|ies)": "balcony",
    r"patios?|decks?": "patio",
    r"(?:home )?offices?|studys?": "office",
    r"(?:single|one|1)[\s-](?:story|storey|level)|ranch[\s-]style": "single_story",
    r"gated(?: community)?": "gated",
    r"pets? (?:allowed|ok|friendly)|(?:pet|dog)[\s-]friendly": "pet_friendly",
    r"hard[\s-]?wood(?: floors?|s)?|wood floors?": "hardwood_floors",
    r"central (?:air|a/?c)|air[\s-]condition(?:ing|ed)": "central_air",
    r"fixer[\s-]?uppers?|needs? work": "fixer_upper",
}

# Words before a price that make it an upper or lower bound.
MAX_CUES = (
    r"under|below|less than|up to|no more than|not more than|not over|no higher than|"
    r"at most|max(?:imum)?|budget|cap(?:ped)? at|cheaper than|within|tops|south of|<=?"
)
MIN_CUES = (
    r"over|above|more than|at least|from|min(?:imum)?|starting(?: at| from)?|no less than|"
    r"not less than|greater than|north of|>=?"
)
# Words after a price that make it a bound ("450k max", "300k and up").
MAX_AFTER = r"max(?:imum)?|tops|or (?:less|under|below|lower)|and (?:under|below)|at most"
MIN_AFTER = r"\+|plus|min(?:imum)?|or (?:more|above|higher)|and (?:up|above|over)"

# Words that introduce a place: "in Austin", "near Round Rock", "close to San Antonio".
PLACE_CUES = frozenset({"in", "near", "around", "nearby", "outside", "downtown", "of", "by", "to"})
# "of", "by" and "to" only introduce a place after these words ("within 5 miles of", "moving to").
PLACE_OF_AFTER = frozenset(
    {"miles", "mile", "minutes", "north", "south", "east", "west", "close", "closer", "moving"}
    | {"relocating", "relocate", "move", "transferring"}
)
# Skipped between a cue and the city: "in the Austin area", "in or near Austin".
PLACE_FILLER = frozenset({"the", "downtown", "greater", "or", "and", "near", "around", "metro"})
# Lower-case words allowed inside a capitalised city name ("Lake de la Vista").
CITY_CONNECTORS = frozenset({"de", "del", "la", "los", "las", "du"})
CITY_ABBREVIATIONS = frozenset({"st.", "ft.", "mt."})

# Never part of a city name, whatever the case.
CITY_STOP_WORDS = words(
    """a an any and or with without w/ for that has have having under below over above less more
    than up to no not at least most max min maximum minimum budget between from price priced
    around about near in by of close area please thanks thank looking look want wants need needs
    find show me my our we i us is are be bed beds bedroom bedrooms bath baths bathroom bathrooms
    sq ft sqft square feet acre acres zip zips zipcode code codes postal under budget k m million
    something place property properties listing listings
    listed sale rent buy buying if possible ideally must should school schools district mile miles
    minutes walking distance downtown neighborhood neighbourhood town country suburbs also
    but some like it its this there on mountains woods countryside br brs bd bds bdrm bdrms ba
    bth bths january february march april june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday"""
)

# Describing words: never a city in text without capitals, nor just before a property word
# ("cozy condo"), but part of a capitalised name after a cue ("in Big Bear", "in New Braunfels").
DESCRIPTIVE_WORDS = words(
    """cheap nice big small large new modern cute cozy spacious affordable luxury updated renovated
    quiet beautiful family good great starter first vacation dream forever
    retirement investment rental tiny brick stone historic victorian colonial craftsman
    contemporary traditional excellent ready move-in condition shape walkable safe open"""
)

STATE_CODES = words(
    """AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ
    NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC"""
)
STATE_NAMES = words(
    """alabama alaska arizona arkansas california colorado connecticut delaware florida georgia
    hawaii idaho illinois indiana iowa kansas kentucky louisiana maine maryland massachusetts
    michigan minnesota mississippi missouri montana nebraska nevada ohio oklahoma oregon
    pennsylvania tennessee texas utah vermont virginia wisconsin wyoming"""
)
