"""Send-time optimisation: when, within the legal send windows, a lead is most likely to engage.

:mod:`.model` holds the per-contact counts over the 168 hours of the week, the empirical-Bayes
prior fitted over the population and the posterior; :mod:`.choose` picks the moment of a send
(exploring now and then); :mod:`.spread` caps a campaign's sends per hour; :mod:`.history` reads
the counts from the outbox.
"""

from leadflow.sendtime.choose import Choice, choose_moment
from leadflow.sendtime.model import (
    BUCKETS,
    Counts,
    Prior,
    bucket_of,
    fit_prior,
    posterior_mean,
)
from leadflow.sendtime.spread import spread

__all__ = [
    "BUCKETS",
    "Choice",
    "Counts",
    "Prior",
    "bucket_of",
    "choose_moment",
    "fit_prior",
    "posterior_mean",
    "spread",
]
