"""Workshop mode: an interactive page on localhost where participants pull the levers (issue 6).

``akrim workshop`` starts a Solara server (Mesa 3.3's visualisation stack, fully offline) with
one page: the live model with its main levers, headline KPIs drawn over the baseline, a
schematic map of the eight centre regions, the threat actors' networks, a plain-language feed of
notable events, and a round-based policy game.

Modules (the non-UI logic is plain Python and unit-tested in ``tests/test_workshop.py``):
    session   ``WorkshopModel``: an ``AkrimModel`` that records weekly KPI series, the feed and
              the actors' company networks as it steps; ``Series`` of headline KPIs.
    baseline  the baseline run for the same seed, scale and horizon, computed once and cached.
    feed      notable events from the model's event log, phrased in plain language.
    levers    the live levers shown on the page and how each reads and writes the policy.
    game      the policy game: budget allocation -> levers, rounds of one year on paired seeds, each
              scored against a counterfactual replay, scoreboard with intervals.
    room      the multi-team game: teams in their own browsers on the same seeds, driven by the
              trainer's page.
    changes   the "changes in force" panel: levers that differ from the baseline, with resets.
    svg       hand-drawn SVG views: KPI small multiples, the region map, the actor networks.
    page      the Solara components and the page.
    app       the ``akrim workshop`` command: arguments, server start-up, host and token.
"""
