"""Write ``src/leadflow/replies/data/replies.csv``: the labelled inbound replies the local
reply-intent model is trained and measured on.

Each class has hand-written replies and templates whose slots (streets, areas, days, times,
seasons, names, questions) are filled from small lists; each text then passes through the way
people type on a phone (no capitals, no final punctuation, a dropped or swapped letter, an
emoji, a greeting or a sign-off, an e-mail's salutation). The output is deterministic (one seed),
without duplicates (compared lower-cased, punctuation and spaces dropped), without any text of
the hand-written held-out set (``holdout.csv``), and consistent with the compliance rules: a
text ``compliance/keywords.py`` reads as an opt-out is never kept under another label.

    python scripts/make_replies.py        # rewrites the CSV, prints the counts
"""

from __future__ import annotations

import csv
import random
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from leadflow.compliance.keywords import Intent, classify  # noqa: E402

DATA = ROOT / "src" / "leadflow" / "replies" / "data"
PER_CLASS = 245
SEED = 20261206

AGENTS = ["Sarah", "Mike", "Jen", "Carlos", "Priya", "Tom", "Ashley", "Dave", "Maria", "Kevin"]
NAMES = ["Jessica", "Mark", "Linda", "Tanya", "Steve", "Juan", "Rob", "Emily", "Karen", "Luis"]
STREETS = [
    "Oak St",
    "the Maple Ave house",
    "123 Pine",
    "the condo on 5th",
    "42 Birch Ln",
    "the Elm St listing",
    "the one on Cherry",
    "88 Willow Dr",
    "the townhouse on Lake Rd",
    "the ranch on Cypress",
    "the Hillcrest place",
    "1910 Magnolia",
]
AREAS = [
    "Cedar Park",
    "Round Rock",
    "downtown",
    "the east side",
    "Riverside",
    "Westlake",
    "the north end",
    "Pflugerville",
    "near the lake",
    "Mueller",
]
DAYS = [
    "Saturday",
    "sat",
    "tomorrow",
    "this weekend",
    "Monday",
    "next Tuesday",
    "Thursday",
    "friday",
    "Sunday afternoon",
    "wed",
    "the 14th",
    "this evening",
]
TIMES = [
    "2",
    "2pm",
    "10am",
    "5:30",
    "noon",
    "after work",
    "6ish",
    "around 4",
    "9:15",
    "11 am",
    "3:00",
    "7 pm",
]
LATER = [
    "in the spring",
    "in the fall",
    "next year",
    "after the holidays",
    "in a few months",
    "in January",
    "after tax season",
    "once school is out",
    "in 6 months",
    "next summer",
    "when rates drop",
    "after the baby comes",
]
TOPICS = [
    "the HOA fee",
    "the HOA",
    "the property taxes",
    "the school district",
    "the square footage",
    "the lot size",
    "the roof age",
    "the asking price",
    "the days on market",
    "the utilities",
    "the HOA rules on rentals",
    "the year it was built",
]
FEATURES = [
    "a garage",
    "a pool",
    "a basement",
    "a fenced yard",
    "central air",
    "a home office",
    "solar panels",
    "a gas stove",
    "hardwood floors",
    "a 2 car garage",
]
EMOJI = ["👍", "🙂", "😊", "🙏", "😅", "🏡", "👌", "😂", "🤔", "🙄", "😍", "✅"]
GREETINGS = ["Hi", "Hey", "hi there", "Hello", "hey {agent}", "Hi {agent}", "Good morning", "Hola"]
SIGNOFFS = ["thanks", "thx", "ty", "Thanks!", "- {name}", "Thank you", "cheers", "gracias"]

HAND: dict[str, list[str]] = {
    "interested": [
        "yes",
        "Yes!",
        "yep",
        "sure",
        "ok sounds good",
        "definitely",
        "absolutely",
        "yes please",
        "interested",
        "I'm interested",
        "love it",
        "that looks amazing",
        "Send more like that please",
        "We're still looking!",
        "ya",
        "sí",
        "me interesa",
        "sí, todavía buscamos",
        "Claro, mándeme más",
        "Perfect, that's exactly our style",
        "wow that kitchen",
        "ok",
        "k",
        "great, thanks for thinking of us",
        "Yes we're pre-approved and ready to go",
        "keep me in the loop",
        "Put me on the list for new listings",
        "Count us in",
        "oh yeah that's nice",
        "Would love to see more in that price range",
        "Nice!! we like that one a lot",
        "Totally, still in the market",
        "Yes we want to sell this year",
        "yes im still looking for a 3 bed",
        "Awesome, we'd love to hear about anything new",
        "Sounds great",
        "oh wow, perfect timing, we're ready",
        "I like it",
        "yes, thinking of listing our condo soon",
        "Me encanta esa casa",
    ],
    "question": [
        "who is this?",
        "Who's this",
        "who is this??",
        "sorry who is this",
        "How much?",
        "price?",
        "HOA?",
        "schools?",
        "is it still available",
        "Still available?",
        "Is it pending?",
        "how many bedrooms",
        "What's the sqft",
        "taxes?",
        "what's the catch",
        "how did you get my number?",
        "Where is it exactly?",
        "Any price drops?",
        "¿Cuánto es el HOA?",
        "¿Quién es?",
        "¿Sigue disponible?",
        "¿Cuántos cuartos tiene?",
        "is the price negotiable",
        "Do they take VA loans?",
        "Does it come with appliances?",
        "Are there any good elementary schools nearby",
        "What's the walk score like",
        "Can I rent it out on Airbnb?",
        "is there a special assessment coming",
        "How's the neighborhood at night?",
        "What are the closing costs usually",
        "Do you charge a fee for buyers?",
        "What's your commission?",
        "Is this the same house from the open house flyer?",
        "how big is the backyard",
        "does it have a pool or no",
        "whats the catch with the price lol",
        "Did they fix the foundation issue?",
        "Why are they selling?",
        "What's the earnest money on something like that?",
    ],
    "not_now": [
        "not now",
        "not yet",
        "maybe later",
        "later",
        "not right now thanks",
        "no thanks",
        "we're good for now",
        "just looking",
        "just browsing",
        "not interested right now",
        "on hold",
        "not ready",
        "ahora no",
        "más adelante",
        "todavía no",
        "Maybe next year",
        "We're taking a break from looking",
        "We paused our search",
        "not this year",
        "Timing isn't right",
        "we signed another lease, maybe next year",
        "We're waiting to see what rates do",
        "Kids are in school, we'll revisit later",
        "I'll reach out when I'm ready",
        "Too early for us, still saving",
        "no rush on our end",
        "not in the market at the moment",
        "Circle back in a few months",
        "we're not moving for a while",
        "hold off for now",
        "No gracias, por ahora no",
        "eh maybe",
        "Let's revisit this later in the year",
        "my husband wants to wait",
        "we decided to stay another year",
        "busy season at work, later",
        "not till our lease is up",
        "we're on vacation, talk later",
        "Pass for now",
        "probably not this year tbh",
    ],
    "wrong_number": [
        "who?",
        "I'm not Jessica",
        "no one here by that name",
        "not me",
        "you've got the wrong guy",
        "this isn't Mark",
        "I don't know a Linda",
        "There's no Steve here",
        "No Juan at this number",
        "I think you have the wrong contact",
        "I never asked about a house",
        "I never filled out anything",
        "I don't know who that is",
        "Sorry, I'm not who you think",
        "Mistaken identity",
        "I just got this number",
        "this is a new number",
        "new phone who dis, not your lead",
        "No soy esa persona",
        "Aquí no vive ningún Luis",
        "se equivocó de persona, no busco casa",
        "you have the wrong email address",
        "This email belongs to a company, no Emily here",
        "I'm 16, I'm not buying a house lol",
        "my grandma passed, this was her phone",
        "not the Karen you want",
        "I think someone typed in my number by mistake",
        "I've never heard of you or your company",
        "This is a landline for a dentist office",
        "I'm not looking, someone put my info in",
        "Not Rob. Rob had this number before me",
        "You must have the wrong info",
        "no idea who you are looking for",
        "Who is Tanya? I'm Derek",
        "I'm not the one who signed up",
        "my ex used to have this number",
        "nobody named Emily here",
        "this number belongs to a business",
        "I'm in Canada, never asked about a house in Texas",
        "huh? I'm not Carlos",
    ],
    "opt_out": [
        "STOP",
        "stop",
        "Stop.",
        "STOP!!!",
        "unsubscribe",
        "Unsubscribe",
        "cancel",
        "quit",
        "end",
        "opt out",
        "STOPALL",
        "remove me",
        "Remove me from this list",
        "stop texting me",
        "stop messaging me",
        "do not text me",
        "don't contact me again",
        "leave me alone",
        "no more texts",
        "no more emails please",
        "take me off your list",
        "lose my number",
        "wrong number stop",
        "please unsubscribe me",
        "opt me out",
        "basta",
        "Por favor no me escriba más",
        "no me envíen más mensajes",
        "quítenme de la lista",
        "deja de escribirme",
        "No quiero más mensajes",
        "Stop sending me these",
        "I'm not interested, remove my number",
        "This is harassment. Stop.",
        "How many times do I have to say stop",
        "never text me again",
        "stop calling me",
        "stop emailing me",
        "Take my email off your list",
        "please stop",
    ],
    "appointment_request": [
        "can I see it",
        "when can we see it",
        "I want to see it",
        "showing?",
        "let's set up a showing",
        "Can we tour it",
        "book a tour",
        "can we meet",
        "Let's schedule a call",
        "I'd like a showing this week",
        "can we do a virtual tour",
        "When's the open house?",
        "is the open house still on sunday?",
        "Quiero verla",
        "¿Cuándo la podemos ver?",
        "¿Podemos agendar una visita?",
        "Can I stop by to see it",
        "put us down for a showing",
        "We want to walk through it",
        "Let's meet and talk about listing our home",
        "Can you come out and do a listing appointment",
        "What times are open for a tour",
        "I'm free all weekend to look",
        "Let's get a viewing scheduled",
        "Could we see a few homes next week?",
        "I'd like to tour the model home",
        "Schedule me",
        "set up a time pls",
        "When are you available to show it?",
        "can I get in to see it before it sells",
        "Can we do a FaceTime walkthrough",
        "Let's do a call to go over options",
        "We'd like an appointment to see it",
        "Can you show us around",
        "Is there a time we can see the inside?",
        "we can come by anytime to take a look",
        "Book us a showing",
        "I'd like to see the condo in person",
        "Can we meet for coffee to talk about selling",
        "Agendemos una llamada",
    ],
    "needs_agent": [
        "real person please",
        "is this automated",
        "is this a robot",
        "are you a bot",
        "human please",
        "agent",
        "talk to a person",
        "I need help",
        "call me",
        "can someone call me",
        "have someone call me",
        "I want to talk to someone",
        "give me a human",
        "I need my agent",
        "where is my agent",
        "Nobody has called me back",
        "I have a complaint",
        "who's your manager",
        "this is urgent",
        "urgent, please call",
        "¿Es un robot?",
        "Quiero hablar con alguien",
        "Necesito hablar con un agente",
        "Llámeme por favor",
        "I have a question only a person can answer",
        "Can I speak to the listing agent?",
        "Please have the broker reach out",
        "I need to talk about my contract",
        "We have an issue with the inspection",
        "the appraisal came in low, need to talk",
        "We got a counteroffer, need someone now",
        "Can a lender call me?",
        "Your bot doesn't understand me",
        "Stop with the automated stuff and have a real agent call",
        "These canned messages are useless, need an actual person",
        "I want to make an offer",
        "We're ready to write an offer, who do I talk to",
        "need to speak with someone about my listing",
        "Who's in charge here",
        "I'd prefer to talk on the phone",
    ],
}

TEMPLATES: dict[str, list[str]] = {
    "interested": [
        "Yes, still looking in {area}",
        "We love {street}!",
        "{street} looks great, send me more like it",
        "Interested in {street}",
        "yes please send more listings in {area}",
        "We're still looking, budget is around {price}",
        "Yes! anything in {area} under {price}?",
        "Definitely interested, we want something with {feature}",
        "That one on {street} is so cute",
        "yes we'd like to sell our place {later}, what's it worth?",
        "Keep sending {area} listings",
        "Sounds good {agent}, keep me posted",
        "Thanks {agent}! Yes we're still interested",
        "Yes, we need {feature} and 3 beds",
        "Me interesa {street}",
        "Sí, buscamos en {area}",
        "Interesados en {area}, presupuesto {price}",
        "Ooh {street} is nice",
        "We're preapproved for {price}, ready to buy",
        "Yes, looking for something with {feature} in {area}",
        "still in the market! {area} or close by",
        "Add me to alerts for {area} please",
        "really like {street}, is there more like it?",
        "Yes send me the details on {street}",
    ],
    "question": [
        "What's {topic} on {street}?",
        "What is {topic}?",
        "How much is {topic} for {street}",
        "Does {street} have {feature}?",
        "does it have {feature}",
        "Is {street} still available?",
        "How are the schools in {area}?",
        "what's {topic} like in {area}",
        "Any idea about {topic}?",
        "is {street} in a flood zone",
        "how long has {street} been listed",
        "What's the price on {street}?",
        "¿Cuánto es {topic_es}?",
        "¿La casa en {street} tiene {feature_es}?",
        "Is {area} a safe area?",
        "what's the commute from {area} to downtown",
        "can you tell me {topic} for {street}",
        "Do you know {topic}?",
        "{street}: how much?",
        "Are offers due by a certain date on {street}?",
        "How many offers does {street} have?",
        "Is {topic} negotiable?",
        "Any HOA in {area}?",
        "who is this? is this about {street}?",
    ],
    "not_now": [
        "Not right now, maybe {later}",
        "We'll look again {later}",
        "Not ready yet, maybe {later}",
        "Check back {later}",
        "Reach out {later}",
        "Holding off until {later}",
        "We're waiting until {later}",
        "maybe {later}",
        "not now, try me {later}",
        "Probably {later}, not now",
        "Thanks {agent}, not right now. Maybe {later}",
        "Ahora no, quizás {later_es}",
        "Tal vez {later_es}",
        "We love {area} but not ready till {later}",
        "Can you follow up {later}?",
        "we're pausing the search until {later}",
        "Not looking to sell until {later}",
        "Thinking {later}, not before",
        "we're not in a hurry, {later} maybe",
        "ping me {later}",
        "Just looking for now, maybe {later}",
        "Nope not now. {later} maybe",
        "{street} is nice but we're not ready until {later}",
        "We'll be ready {later}",
    ],
    "wrong_number": [
        "I'm not {name}",
        "This isn't {name}",
        "No {name} here",
        "Who is {name}? You have the wrong guy",
        "I don't know any {name}",
        "there's no {name} at this number",
        "I'm not {name}, I never asked about {street}",
        "Sorry, {name} doesn't have this number anymore",
        "{name} isn't here, never heard of them",
        "No soy {name}",
        "Aquí no hay ningún {name}",
        "Never inquired about {area}, not me",
        "I don't live in {area} and I'm not {name}",
        "Not {name}. Got this number last {month}",
        "You've got the wrong {name}",
        "I think you mean a different {name}, I'm not house hunting",
        "{agent}? I don't know any {agent}, and I'm not {name}",
        "No idea who {name} is",
        "this is {other}, not {name}",
        "I'm {other}. Nobody named {name} uses this phone",
        "{name} gave you a fake number, sorry",
        "Not looking for a house, I'm not {name}",
        "My name is {other}, you must want someone else",
        "I never signed up for anything about {area}",
    ],
    "opt_out": [
        "stop texting me about {street}",
        "Stop messaging me {agent}",
        "Please remove me from your list, {agent}",
        "take me off your list",
        "Do not contact me again",
        "don't text me again",
        "I'm not interested. Remove me",
        "remove my number please",
        "remove my info from your system",
        "unsubscribe me",
        "No more texts about {area}",
        "no more messages please",
        "STOP sending me {area} listings",
        "leave me alone {agent}",
        "stop contacting me",
        "please stop texting me",
        "Por favor no me escriba más sobre {street}",
        "Quítenme de su lista por favor",
        "no me contacte más",
        "Wrong number. Stop texting",
        "lose my number {agent}",
        "opt me out of these",
        "never contact me again",
        "stop bugging me",
    ],
    "appointment_request": [
        "Can we see {street} {day} at {time}?",
        "Can I tour {street} {day}?",
        "is {day} at {time} ok for a showing",
        "Could you show us {street} {day} around {time}",
        "We're free {day} at {time} to see it",
        "Let's meet at {street} {day} {time}",
        "Call me {day} at {time}",
        "Can we do a call {day} around {time}?",
        "I'd like to schedule a showing for {day}",
        "Book a tour of {street} for {day} please",
        "{day} at {time} works for us to see {street}",
        "Available {day} after {time}, can we see it?",
        "Can we see a few in {area} {day}?",
        "¿Podemos ver {street} el {day_es}?",
        "¿Nos vemos el {day_es} a las {time}?",
        "Let's talk {day} at {time} about listing our home",
        "How about {day} at {time}?",
        "We can meet you there {day} at {time}",
        "Set up a showing for {street}, {day} if possible",
        "Open house {day}? We'll come at {time}",
        "i want to see it {day}",
        "Can you fit us in {day}? anytime after {time}",
        "Video tour {day} at {time}?",
        "Let's do {day} {time} to walk through {street}",
    ],
    "needs_agent": [
        "Can I talk to {agent} directly?",
        "Have {agent} call me please",
        "I need to speak with {agent}, it's urgent",
        "Is this really {agent} or a bot?",
        "Can a real person call me about {street}?",
        "I want to talk to a human about {street}",
        "Need to talk to {agent} about our offer",
        "Please have {agent} call me back",
        "{agent} hasn't called me back, can someone?",
        "Get me {agent} please",
        "I need a real agent for {area}",
        "Who's my agent? Need help with {street}",
        "¿Me puede llamar {agent}?",
        "Quiero hablar con {agent}",
        "I'd like to speak to the broker about {agent}",
        "The inspection on {street} found problems, need to talk to someone",
        "We got an offer on our house, {agent} needs to call me",
        "Need a person, not automated texts, about {street}",
        "Can someone explain the counteroffer on {street}?",
        "We want to make an offer on {street}, have an agent call",
        "Please connect me with {agent}",
        "is {agent} a real person?",
        "I have a problem with {agent}, who's the manager",
        "urgent: need {agent} about closing",
    ],
}

SLOTS: dict[str, list[str]] = {
    "agent": AGENTS,
    "name": NAMES,
    "other": ["Derek", "Pam", "Omar", "Beth", "Hank", "Rosa", "Ty", "Gloria"],
    "street": STREETS,
    "area": AREAS,
    "day": DAYS,
    "time": TIMES,
    "later": LATER,
    "topic": TOPICS,
    "feature": FEATURES,
    "price": ["400k", "$450,000", "350", "600k", "about 500k", "under 300k", "$725k", "1.2M"],
    "month": ["month", "week", "year", "spring"],
    "topic_es": ["el HOA", "los impuestos", "el precio", "la cuota mensual"],
    "feature_es": ["garaje", "piscina", "patio", "sótano"],
    "later_es": ["el próximo año", "en primavera", "en unos meses", "después de las fiestas"],
    "day_es": ["sábado", "domingo", "lunes", "viernes"],
}
_SLOT = re.compile(r"\{(\w+)\}")
_KEY = re.compile(r"[^\w]+")
TYPO_KEYS = "abcdefghijklmnopqrstuvwxyz"


def fill(template: str, rng: random.Random) -> str:
    return _SLOT.sub(lambda m: rng.choice(SLOTS[m.group(1)]), template)


def typo(text: str, rng: random.Random) -> str:
    """One slip of the thumb: a dropped, doubled or swapped letter, or a neighbour key."""
    spots = [i for i, c in enumerate(text) if c.isalpha()]
    if len(spots) < 4:
        return text
    i = rng.choice(spots[1:-1])
    kind = rng.randrange(4)
    if kind == 0:
        return text[:i] + text[i + 1 :]
    if kind == 1:
        return text[:i] + text[i] + text[i:]
    if kind == 2 and i + 1 < len(text):
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text[:i] + rng.choice(TYPO_KEYS) + text[i + 1 :]


def styled(text: str, rng: random.Random) -> str:
    """The same reply as different people would type it."""
    roll = rng.random()
    if roll < 0.3:
        text = text.lower().rstrip(".!")
    elif roll < 0.36:
        text = text.upper()
    if rng.random() < 0.25:
        text = typo(text, rng)
    if rng.random() < 0.15:
        text = f"{rng.choice(GREETINGS).format(agent=rng.choice(AGENTS))}, {text}"
    if rng.random() < 0.12:
        text = f"{text} {rng.choice(SIGNOFFS).format(name=rng.choice(NAMES))}"
    if rng.random() < 0.15:
        text = f"{text} {rng.choice(EMOJI)}"
    if rng.random() < 0.06:  # an e-mail reply
        agent = rng.choice(AGENTS)
        text = f"Hi {agent},\n\n{text}\n\nBest,\n{rng.choice(NAMES)}"
    return text


def key(text: str) -> str:
    return _KEY.sub("", text.lower())


def build() -> list[tuple[str, str]]:
    rng = random.Random(SEED)
    with (DATA / "holdout.csv").open(newline="", encoding="utf-8") as f:
        held = {key(row["text"]) for row in csv.DictReader(f)}
    seen: set[str] = set(held)
    rows: list[tuple[str, str]] = []
    dropped: Counter[str] = Counter()

    def add(text: str, label: str) -> bool:
        caught = classify(text) is Intent.OPT_OUT
        if caught and label != "opt_out":
            dropped[label] += 1  # the rules call it an opt-out: never kept as anything else
            return False
        k = key(text)
        if not k or k in seen:
            return False
        seen.add(k)
        rows.append((text, label))
        return True

    for label, texts in HAND.items():
        for text in texts:
            add(text, label)
            add(styled(text, rng), label)
    for label, templates in TEMPLATES.items():
        have = sum(1 for _, lab in rows if lab == label)
        tries = 0
        per_template: Counter[str] = Counter()
        cap = (PER_CLASS - have) // len(templates) + 2
        while have < PER_CLASS and tries < 50_000:
            tries += 1
            template = rng.choice(templates)
            if per_template[template] >= cap:
                continue
            if add(styled(fill(template, rng), rng), label):
                per_template[template] += 1
                have += 1
    if dropped:
        print("dropped (read as opt-out by the rules):", dict(dropped), file=sys.stderr)
    return rows


def main() -> None:
    rows = build()
    path = DATA / "replies.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["text", "intent"])
        out.writerows(rows)
    counts = Counter(label for _, label in rows)
    print(f"{len(rows)} replies -> {path.relative_to(ROOT)}")
    for label, n in sorted(counts.items()):
        print(f"  {label:20} {n}")


if __name__ == "__main__":
    main()
