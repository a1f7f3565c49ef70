"""`sxsh-bot serve` and `sxsh-bot zalo ...`: the webhook server, and the Zalo OA's tokens
(first authorisation, state)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

zalo_app = typer.Typer(help="Zalo Official Account: authorise, state.", no_args_is_help=True)


def serve() -> None:
    """Serve the webhooks (Telegram, Zalo OA, Zalo Bot), /healthz and /metrics on
    SXSH_WEB_LISTEN:SXSH_WEB_PORT; also delivers the outbox. Put it behind a reverse proxy with
    TLS (README, Deployment)."""
    from bot import serve as server
    from bot.app import answering_threads, build_conversation, setup_logging
    from bot.cli.common import friendly_errors, settings

    s = settings()
    setup_logging(s)
    answering_threads()
    with friendly_errors():
        conversation = build_conversation(s)
    server.run(conversation, s)


@zalo_app.command()
def authorize(
    code: Annotated[
        str | None,
        typer.Option(
            "--code", help="The OA's authorization code (from the OA admin's consent page)."
        ),
    ] = None,
    refresh_token: Annotated[
        bool,
        typer.Option(
            "--refresh-token",
            help="Read a refresh token from standard input (not the command line: shell history).",
        ),
    ] = False,
    code_verifier: Annotated[
        str | None,
        typer.Option(
            "--code-verifier", help="The PKCE verifier, when the code was asked with one."
        ),
    ] = None,
) -> None:
    """Take the OA's first tokens (or new ones after "needs re-authorisation") and store them."""
    from bot.channels.zalo_oa.tokens import RefreshRefused
    from bot.channels.zalo_oa.tokens import authorize as take
    from bot.cli.common import fail, friendly_errors, settings
    from handlers.clock import clock_starting
    from storage import migrate
    from storage.db import make_engine

    s = settings()
    if not (s.zalo_oa.app_id and s.zalo_oa.app_secret):
        fail("set SXSH_ZALO_OA_APP_ID and SXSH_ZALO_OA_APP_SECRET first")
    if bool(code) == refresh_token:
        fail("give either --code CODE or --refresh-token (read from standard input)")
    pasted = sys.stdin.readline().strip() if refresh_token else None
    if refresh_token and not pasted:
        fail("no refresh token on standard input")
    with friendly_errors():
        migrate.upgrade(s.database_url)
        engine = make_engine(s.database_url)
        try:
            expires = take(engine, clock_starting(s.clock_start), s.zalo_oa, code=code,
                           refresh_token=pasted, code_verifier=code_verifier)  # fmt: skip
        except RefreshRefused as exc:
            fail(f"Zalo refused: {exc}", code=1)
        except Exception as exc:  # noqa: BLE001 - network: one line, never the token
            # A send error's reason is safe to show ("token endpoint: ConnectError"); it said
            # only "Retryable", a class name that told the operator nothing.
            why = (getattr(exc, "reason", None) or type(exc).__name__).removeprefix(
                "token endpoint: "
            )
            fail(f"could not reach Zalo's token endpoint (SXSH_ZALO_OA_OAUTH_URL): {why}", code=1)
        finally:
            engine.dispose()
    typer.echo(
        "Zalo OA authorised; the access token is valid until "
        + expires.isoformat(timespec="minutes")
    )


@zalo_app.command()
def status() -> None:
    """The OA channel's state: tokens (never shown), expiry, the last alert, waiting events."""
    from bot.channels.zalo_oa.app import state
    from bot.cli.common import friendly_errors, settings
    from storage import migrate
    from storage.db import make_engine

    s = settings()
    with friendly_errors():
        migrate.upgrade(s.database_url)
        engine = make_engine(s.database_url)
        try:
            for key, value in state(engine).items():
                typer.echo(f"{key}: {value if value is not None else '-'}")
        finally:
            engine.dispose()
