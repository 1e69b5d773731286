"""The offline planner's parser: plain English -> :class:`~leadflow.ai.plan.Plan`.

The request is cut into clauses; each clause may carry a timing (wait N, N later, the next
morning at 9, until Friday at 5pm, day 3), actions (text, e-mail, voicemail or live call, notify
the agent, tag / stage, start a workflow, match listings), and a role in a structure (wait for a
reply for up to T; if they reply / no reply; if they open / click; if a condition / otherwise;
an A/B split). Deterministic: the same words always give the same plan.
"""

from __future__ import annotations

import re
from typing import Any

from leadflow.ai import phrases
from leadflow.ai.parse_trigger import audience_of, metric_of, play_of, settings_of, trigger_of
from leadflow.ai.plan import Branch, Leaf, Plan, SplitPlan, Step, WaitFor

_VERBS = (
    r"call|text|email|e-mail|send|notify|alert|tag|move|set|start|exit|stop|leave|wait|have|find"
    r"|update|mark|ask|if|otherwise|for|also|run|email"
)
_SPLIT = re.compile(
    rf"\s*(?:;|\.\s+|\.$|:\s+|\s+->\s+|,?\s+then\s+|,\s*and\s+|,\s+|\s+and\s+(?=(?:then\s+)?(?:{_VERBS})\b))"
)
_ELSE = re.compile(
    r"^(otherwise|else|if not|if no\b(?! repl)|everyone else|others?\b|all others"
    r"|for everyone else|for the rest)"
)
_REF = re.compile(r"\b(the|that|this|it|first) (text|sms|email|e-mail|message)\b")
_START_NAMES = {
    "long-term nurture": "long-term-nurture",
    "hot lead": "hot-lead-acceleration",
    "post-closing": "post-closing-care",
    "post closing": "post-closing-care",
    "first-time buyer": "first-time-buyer-education",
    "luxury": "luxury-buyer-experience",
    "listing prep": "listing-preparation",
    "market update": "monthly-market-update",
    "welcome": "new-lead-welcome",
}
_PURPOSES = (
    ("referral", r"referr"),
    ("review", r"\breview"),
    ("anniversary", r"anniversar"),
    ("thanks", r"thank"),
    ("confirmation", r"confirm"),
    ("market", r"market (update|report)|newsletter"),
    ("listings", r"listing|homes|propert|picks|roundup"),
    ("cma", r"\bcma\b|valuation|home value"),
    ("preapproval", r"pre-?approv"),
    ("questions", r"question"),
    ("checkin", r"check[- ]?in|how the showing"),
)


def _start_key(text: str) -> str:
    for words, key in _START_NAMES.items():
        if words in text:
            return key
    return phrases.slug(text)


def _purpose(clause: str) -> str | None:
    for name, pattern in _PURPOSES:
        if re.search(pattern, clause):
            return name
    return None


def actions_of(clause: str) -> list[Step]:
    """The actions a clause asks for, in the order they are written."""
    return [step for _, step in positioned_actions(clause)]


def positioned_actions(clause: str) -> list[tuple[float, Step]]:
    """(where it is written, action) for each action of the clause, in reading order."""
    text = _REF.sub(" ", clause)
    found: list[tuple[float, Step]] = []
    purpose = _purpose(clause)
    notify = re.search(
        r"\b(notify|alert|ping|tell|let)\b[^,;]*\bagent|\bagent\b[^,;]*\b(notified|alerted|know)",
        text,
    )
    if notify:
        found.append((notify.start(), Step("notify", {})))
        text = re.sub(r"\bto call\b[^,;]*", " ", text)
    drop = re.search(r"\b(voicemail|voice mail|ringless)\b", text)
    live = re.search(r"\b(call|calls|phone call|ring them|phone them)\b", text)
    if drop:
        found.append((drop.start(), Step("voicemail", {})))
    elif live:
        found.append((live.start(), Step("call", {})))
    sms = re.search(r"\b(text|texts|texted|sms|text message)\b", text)
    if sms and not re.search(r"\b(repl\w*|respond\w*|answer\w*) by text\b", text):
        found.append((sms.start(), Step("sms", {"purpose": purpose})))
    email = re.search(r"\b(e-?mails?|newsletter)\b", text)
    if email:
        found.append((email.start(), Step("email", {"purpose": purpose})))
    match = re.search(
        r"\bwho match|\bmatch(es)? the listing|\bmatching\b|\bfind match|\bnew listings\b"
        r"|\blisting roundup\b|\bweekly picks\b",
        text,
    )
    if match:
        at = min([h.start() for h in (email, sms) if h] + [match.start()]) - 0.5
        found.append((at, Step("match", {})))
        if not email and not sms:
            found.append((match.start(), Step("email", {"purpose": "listings"})))
    update: dict[str, Any] = {}
    tag = re.search(
        r"\b(?:tag|mark)(?: them| him| her| the lead)?(?: as)? ['\"]?([\w-]+)['\"]?", text
    )
    if tag and tag.group(1) not in ("them", "as"):
        update["add_tags"] = [tag.group(1)]
    stage = re.search(
        r"\bstage (?:to |as |of )?['\"]?([\w-]+)['\"]?"
        r"|\bmove them to (?:the )?['\"]?([\w-]+)['\"]? stage"
        r"|\bmove them to (?:the )?stage ['\"]?([\w-]+)",
        text,
    )
    if stage:
        update["stage"] = next(g for g in stage.groups() if g)
    if update:
        found.append(((tag or stage).start(), Step("update", update)))  # type: ignore[union-attr]
    start = re.search(
        r"\b(?:start|get|gets|enroll them in|hand them to|move them into|go to|goes to|go into"
        r"|send them to|put them in|put them into|add them to) (?:the |a )?"
        r"([\w\s'-]+?) (?:workflow|play|sequence|one|campaign)\b",
        text,
    )
    if start:
        found.append((start.start(), Step("start", {"workflow": _start_key(start.group(1))})))
    found.sort(key=lambda pair: pair[0])
    return found


_NEXT_RE = re.compile(r"\b(next|following|tomorrow)\b")


def _timing(clause: str, plan: Plan, state: dict[str, Any]) -> tuple[int, list[Step]]:
    """Where the clause's timing is written and the wait it means (none for "now", "within 5
    minutes"); the wait goes before the action written just before it (or the first one)."""
    at, steps = _timing_steps(clause, plan, state)
    return at, steps


def _timing_steps(clause: str, plan: Plan, state: dict[str, Any]) -> tuple[int, list[Step]]:
    day = re.search(r"\bday (\d+)\b", clause)
    if day:
        target = int(day.group(1))
        current = state.setdefault("day", target)
        state["day"] = target
        return day.start(), [
            Step("wait", {"seconds": (target - current) * 86400})
        ] if target > current else []
    nxt = _NEXT_RE.search(clause)
    until = re.search(r"\buntil\b", clause)
    if (
        nxt
        or until
        or (
            re.search(r"\bon (mon|tue|wed|thu|fri|sat|sun)\w*", clause)
            and phrases.time_of_day(clause)
        )
    ):
        days = phrases.weekdays(clause)
        time = phrases.time_of_day(clause) or ("09:00" if "morning" in clause else "10:00")
        plan.intents.append("wait_until")
        where = (nxt or until).start() if (nxt or until) else len(clause)  # type: ignore[union-attr]
        return where, [
            Step(
                "wait_until",
                {"time": time, "weekdays": days, "offset_days": 1 if nxt and not days else 0},
            )
        ]
    if re.search(r"\bwithin\b|\bup to\b|\bevery\b|\bfor \d+ (weeks|months)|\bseries\b", clause):
        return 0, []
    hit = re.search(
        r"\b(?:wait|after|in)\s+(?:for\s+)?(.+?)(?:$|,|\s+(?:and|then)\b)"
        r"|(.+?)\s+(?:later|afterwards|after that|after)\b",
        clause,
    )
    seconds = phrases.duration(clause) if hit else None
    if seconds is None and re.match(r"^wait\b", clause):
        seconds = phrases.duration(clause)
    if seconds:
        plan.intents.append("wait")
        written = phrases.DURATION_RE.search(clause)
        return (written.start() if written else 0), [Step("wait", {"seconds": seconds})]
    return 0, []


def _series(clause: str, actions: list[Step]) -> list[Step] | None:
    """ "an email every week for 4 weeks", "every 3 days, three times", "a 7-day email series"."""
    every = re.search(
        rf"\bevery\s+(?:{phrases.NUMBER}\s+)?(day|days|week|weeks|month|months)\b"
        r"|\b(monthly|weekly|daily)\b",
        clause,
    )
    series = re.search(r"\b(\d+)[- ]day\b.*\bseries\b", clause)
    if not every and not series:
        return None
    channel = next(
        (a for a in actions if a.kind in ("sms", "email")), Step("email", {"purpose": None})
    )
    if series:
        count, gap = int(series.group(1)), 86400
    else:
        assert every is not None
        unit = (
            every.group(2) or {"monthly": "month", "weekly": "week", "daily": "day"}[every.group(3)]
        )
        gap = int(
            (phrases.number(every.group(1)) if every.group(1) else 1) * phrases.unit_seconds(unit)
        )
        count_hit = re.search(
            rf"\bfor\s+{phrases.NUMBER}\s+(weeks|months|days)\b|\b{phrases.NUMBER}\s+times\b",
            clause,
        )
        if count_hit and count_hit.group(1):
            count = int(
                phrases.number(count_hit.group(1)) * phrases.unit_seconds(count_hit.group(2)) // gap
            )
        elif count_hit:
            count = int(phrases.number(count_hit.group(3)))
        else:
            count = 6
    count = max(1, min(count, 12))
    steps: list[Step] = []
    for i in range(count):
        if i:
            steps.append(Step("wait", {"seconds": gap}))
        steps.append(Step(channel.kind, {"purpose": channel.args.get("purpose"), "series": i + 1}))
    return steps


class _Builder:
    def __init__(self, plan: Plan, has_else: bool) -> None:
        self.plan = plan
        self.has_else = has_else
        self.cursor: list[Any] = plan.steps
        self.open: WaitFor | Branch | None = None
        self.state: dict[str, Any] = {}

    def last_message(self, steps: list[Any]) -> Step | None:
        for step in reversed(steps):
            if isinstance(step, Step) and step.kind in ("sms", "email", "call", "voicemail"):
                return step
        return None

    def reply_wait(self, clause: str, timeout: int | None) -> WaitFor:
        if isinstance(self.open, WaitFor):
            if timeout and not self.open.timeout:
                self.open.timeout = timeout
            return self.open
        main = self.plan.steps
        last = self.last_message(main)
        if last is None:
            ref = _REF.search(clause)
            kind = "email" if ref and "mail" in ref.group(2) else "sms"
            last = Step(kind, {"purpose": None})
            main.append(last)
        event = "email.received" if last.kind == "email" else "sms.received"
        wait = WaitFor(event, timeout)
        main.append(wait)
        self.open = wait
        self.plan.intents.append("wait_for_reply")
        return wait

    def clause(self, clause: str) -> None:
        again = re.search(r"\s+(?:and\s+)?again\b", clause)
        if again and actions_of(clause[: again.start()]):
            self.clause(clause[: again.start()])
            rest = clause[again.end() :]
            last = self.last_message(self.cursor)
            if last is not None:
                _, delay = _timing(rest, self.plan, self.state)
                self.cursor.extend([*delay, Step(last.kind, {"purpose": "follow_up"})])
            return
        plan = self.plan
        actions = actions_of(clause)
        if _ELSE.match(clause):
            if isinstance(self.open, WaitFor):
                self.cursor = self.open.on_timeout
            elif isinstance(self.open, Branch):
                self.cursor = self.open.default
            clause = _ELSE.sub("", clause)
        if re.search(
            r"\b(a/b|ab test|split test|split\b.*(50/50|group|between)|two versions|two groups"
            r"|three versions)",
            clause,
        ):
            self.split(clause, actions)
            return
        dur = phrases.duration(clause)
        if re.search(
            r"wait\b.*\b(reply|response|answer)|give them .* to (answer|reply|respond)", clause
        ):
            self.reply_wait(clause, dur or 86400)
            self.cursor = self.plan.steps
            return
        if re.search(r"wait\b.*\bfor them to open|wait\b.*\bopen", clause):
            self.plan.steps.append(WaitFor("email.opened", dur or 86400))
            self.plan.intents.append("wait_for_open")
            self.open = None
            return
        if re.search(
            r"\bno (reply|answer|response)\b"
            r"|\b(don't|do not|doesn't|didn't|haven't|hasn't) (reply|respond|answer)",
            clause,
        ):
            wait = self.reply_wait(clause, dur or 86400)
            self.cursor = wait.on_timeout
            self.cursor.extend(actions)
            return
        if re.search(
            r"\b(if|who|when) (they |the lead )?(repl|respond|answer)\w*|\bif they do\b", clause
        ):
            wait = self.reply_wait(clause, None)
            self.cursor = wait.on_event
            self.cursor.extend(actions)
            return
        opened = re.search(
            r"\b(if|whether) (they |the lead )?(don't |do not |didn't )?"
            r"(open|opened|click|clicked)\b",
            clause,
        )
        if opened:
            self.engagement_branch(clause, opened, dur, actions)
            return
        if re.match(r"^if (yes|so)\b", clause) and isinstance(self.open, Branch):
            self.cursor = self.open.cases[0][1]
        leaves = audience_of(clause)
        if leaves and (self.has_else or clause.startswith("if ")) and not _ELSE.match(clause):
            branch = Branch([(leaves[0], [])])
            self.cursor.append(branch)
            self.open = branch
            self.cursor = branch.cases[0][1]
            plan.intents.append("branch:field")
        elif leaves:
            plan.filters.extend(leaf for leaf in leaves if leaf not in plan.filters)
        series = _series(clause, actions) if plan.trigger.get("type") != "schedule" else None
        if series:
            self.cursor.extend(series)
            plan.intents.append("series")
            return
        at, delay = _timing(clause, plan, self.state)
        placed = positioned_actions(clause)
        before = [i for i, (pos, _) in enumerate(placed) if pos < at]
        cut = before[-1] if before else 0
        self.cursor.extend(a for _, a in placed[:cut])
        self.cursor.extend(delay)
        self.cursor.extend(a for _, a in placed[cut:])
        plan.intents.extend(f"action:{a.kind}" for a in actions)

    def engagement_branch(
        self, clause: str, hit: re.Match[str], dur: int | None, actions: list[Step]
    ) -> None:
        email = next(
            (s for s in reversed(self.plan.steps) if isinstance(s, Step) and s.kind == "email"),
            None,
        )
        if email is None:
            email = Step("email", {"purpose": None})
            self.plan.steps.append(email)
        fact = "clicked" if hit.group(4).startswith("click") else "opened"
        if dur:
            self.plan.steps.append(Step("wait", {"seconds": dur}))
        elif not any(isinstance(s, Step) and s.kind == "wait" for s in self.plan.steps[-1:]):
            self.plan.steps.append(Step("wait", {"seconds": 86400}))
        leaf: Leaf = {"field": "steps.{ref}." + fact, "op": "eq", "value": True, "ref": email}
        branch = Branch([(leaf, [])])
        self.plan.steps.append(branch)
        self.open = branch
        self.plan.intents.append(f"branch:{fact}")
        self.cursor = branch.default if hit.group(3) else branch.cases[0][1]
        self.cursor.extend(actions)

    def split(self, clause: str, actions: list[Step]) -> None:
        messages = [a for a in actions if a.kind in ("sms", "email", "call", "voicemail")]
        count = 3 if re.search(r"a/b/c|three", clause) else 2
        if len({m.kind for m in messages}) >= 2:
            arms = [[m] for m in messages]
        else:
            if not messages:
                named = re.search(r"\b(texts?|sms|e-?mails?)\b", clause)
                if named:
                    messages = [Step("email" if "mail" in named.group(1) else "sms", {})]
            if not messages:
                last = self.last_message(self.cursor)
                if last is not None:
                    self.cursor.remove(last)
                messages = [last or Step("email", {"purpose": None})]
            arms = [
                [
                    Step(
                        messages[0].kind,
                        {"purpose": messages[0].args.get("purpose"), "variant": i + 1},
                    )
                ]
                for i in range(count)
            ]
        holdout = re.search(r"(\d+)\s*%\s*holdout|holdout", self.plan.prompt.lower())
        weight = (
            float(holdout.group(1)) if holdout and holdout.group(1) else (10.0 if holdout else None)
        )
        self.cursor.append(SplitPlan(arms, weight, metric_of(self.plan.prompt.lower())))
        self.plan.intents.append("split")


def clauses_of(text: str) -> list[str]:
    return [c.strip(" ,.") for c in _SPLIT.split(text) if c and c.strip(" ,.")]


def parse(prompt: str) -> Plan:
    plan = Plan(prompt=prompt)
    text = re.sub(r"[\u2018\u2019]", "'", prompt.lower()).replace("\u2014", ", ").strip()
    text = re.sub(r"\s+", " ", text)
    plan.play = play_of(text)
    if plan.play:
        plan.intents.append(f"play:{plan.play}")
    text = settings_of(text, plan)
    trigger_of(text, plan)
    has_else = bool(re.search(r"\b(otherwise|everyone else|others|all others|if not|else)\b", text))
    builder = _Builder(plan, has_else)
    for clause in clauses_of(text):
        builder.clause(clause)
    return plan
