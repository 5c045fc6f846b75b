"""The charts of the committed briefs, drawn from their inputs as the notebook draws them
(for the tests of what the charts show; the notebook's own runs are tested elsewhere)."""

from analysis import brief
from analysis.counting import figures
from analysis.render import charts

BRIEFS = ["since-2019", "since-inauguration", "since-2019-all-sources"]


def brief_inputs(name: str):
    """The inputs, window, coverage and parameters of a committed brief."""
    from analysis.batch.plan import TABLE_OPTIONS, BuildRequest, plan

    params = {job.name: job for job in plan(BuildRequest())}[name].parameters
    inputs = brief.load_inputs(**{k: params[k] for k in TABLE_OPTIONS})
    window = brief.resolve_window(params["start"], params.get("as_of", ""), inputs.attacks,
                                  inputs.sources)
    return inputs, window, brief.coverage_of(inputs, window), params


def frequency_and_cumulative(name: str):
    """The brief's per-period counts, its frequency chart and its cumulative chart."""
    inputs, window, covered, params = brief_inputs(name)
    counts = brief.per_period(inputs, window, params["freq"], covered)
    line = brief.source_line(inputs, brief.summarise(inputs, window, params["freq"], covered))
    frequency = charts.frequency_chart(counts, freq=params["freq"], claims=inputs.claims,
                                       context=inputs.context, title=params["title"],
                                       source_line=line)
    cumulative = charts.cumulative_chart(figures.cumulative(inputs.merged, window),
                                         claims=inputs.claims, context=inputs.context,
                                         title=params["title"],
                                         source_line=line)
    return counts, frequency, cumulative
