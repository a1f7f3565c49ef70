"""`python -m bot.cli`: the same as `sxsh-bot`."""

from bot.cli import app

app()
