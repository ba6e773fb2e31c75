#!/usr/bin/env bash
# Generates the man pages from the commands (swift-argument-parser's generate-manual plugin)
# into docs/man/, one page per subcommand. Install: tools/make-man.sh --install (to
# /usr/local/share/man/man1), then `man prezero` or `man prezero.replay`.
set -euo pipefail
cd "$(dirname "$0")/.."
swift package --allow-writing-to-package-directory generate-manual --multi-page >/dev/null
mkdir -p docs/man
rm -f docs/man/*.1
cp .build/plugins/GenerateManual/outputs/prezero/*.1 docs/man/
echo "wrote $(ls docs/man/*.1 | wc -l) man pages to docs/man/"
if [ "${1:-}" = "--install" ]; then
    install -d /usr/local/share/man/man1
    install -m 644 docs/man/*.1 /usr/local/share/man/man1/
    mandb -q 2>/dev/null || true
    echo "installed into /usr/local/share/man/man1 (man prezero)"
fi
