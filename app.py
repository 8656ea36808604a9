"""`python app.py` serves the bot (what `make run` ends in): settings → logs → serve, as `senbot serve`.

The app itself is built by bot/server/assembly.py; how many processes serve it, by bot/server/serving.py.
"""

from __future__ import annotations

import sys

from bot.server import logs
from bot.settings import ConfigError, load_settings


def main() -> None:
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"senbot: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    logs.configure(settings.log_level, settings.log_format)
    from bot.server.serving import serve

    raise SystemExit(serve(settings))


if __name__ == "__main__":
    main()
