"""Tools for searchers from the command line: ``trends``."""

from __future__ import annotations

import json

import click

from catalog import MAX_TERMS, PERIODS, CatalogError, TrendRequest
from uscm_archive.commands.common import open_catalog, with_settings
from uscm_archive.commands.output import Output, reporting
from web.trends_view import trend_csv, trend_dict, trend_text


@click.command()
@with_settings
@click.argument("terms", nargs=-1, required=True)
@click.option(
    "--by", type=click.Choice(PERIODS), default="year", show_default=True, help="Count per year or month."
)
@click.option("--event", default=None, help="Only sessions of this event (name or slug).")
@click.option("--speaker", default=None, help="Only words of this speaker (name or slug).")
@click.option("--topic", default=None, help="Only sessions on this topic (name or slug).")
@click.option(
    "--csv", "as_csv", is_flag=True, help="Print CSV: term, period, since, until, count, search_url."
)
@reporting("periods, and each term's counts with its search.")
def trends(settings, terms: tuple[str, ...], by: str, as_csv: bool, out: Output, **filters) -> None:
    """How often each of TERMS (up to 5, each in the search syntax) was said per year or month."""
    if out.as_json and as_csv:
        raise CatalogError("choose one of --json and --csv")
    if len(terms) > MAX_TERMS:
        raise CatalogError(f"at most {MAX_TERMS} terms at once, got {len(terms)}")
    with open_catalog(settings) as catalog:
        trend = catalog.trend(TrendRequest(tuple(terms), by=by, **filters))
    given = {k: v for k, v in filters.items() if v}
    if out.as_json:
        click.echo(json.dumps(trend_dict(trend, given), ensure_ascii=False))
    elif as_csv:
        click.echo(trend_csv(trend, given), nl=False)
    else:
        out.data(trend_text(trend))


def register(cli: click.Group) -> None:
    cli.add_command(trends)
