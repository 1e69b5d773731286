"""The compliance rules come first: a reply ``compliance/keywords.py`` reads as an opt-out (a
carrier keyword as the whole message, an opt-out word leading it, a plain-language phrase such as
"stop texting me" or "wrong number", or the provider's own ``OptOutType``) is an opt-out whatever
a model says, so reading intent never weakens what the consent rules already catch."""

from __future__ import annotations

from leadflow.compliance.keywords import Intent, classify


def rules_opt_out(text: str, provider_says: str | None = None) -> bool:
    return classify(text or None, provider_says) is Intent.OPT_OUT


__all__ = ["rules_opt_out"]
