# Sourced by bin/run and bin/test: use the active virtual environment, or make and use the
# project's own (.venv), so the commands also work where the system Python refuses `pip install`.
if [ -z "${VIRTUAL_ENV:-}" ]; then
  if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
  fi
  # shellcheck disable=SC1091
  . .venv/bin/activate
fi
PY=python
