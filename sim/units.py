"""Time units shared by the submodels.

The clock counts days; the market tick is weekly. Annual rates become weekly probabilities
or expectations with ``WEEK_YEARS = 7 / 365.25`` (not 1/52: a year has 52.18 weeks). A calendar
year still holds 52 or 53 weekly ticks; flows are attributed to the year of the tick's day.
"""

DAYS_PER_YEAR = 365.25
WEEK_DAYS = 7.0
WEEK_YEARS = WEEK_DAYS / DAYS_PER_YEAR
