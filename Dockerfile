# drawwatch container image.
#
#   docker build -t drawwatch .
#   docker run -d --init --name drawwatch -v drawwatch-data:/data -e DRAWWATCH_CONTACT=you@example.org drawwatch
#   docker run --rm --init -v drawwatch-data:/data drawwatch check       # one-shot, for cron
#
# The daemon (`drawwatch run`) is the default command; any other subcommand replaces it. Data: a SQLite file
# on the /data volume unless DRAWWATCH_DATABASE_URL names PostgreSQL (the psycopg driver is installed).
#
# tests/e2e/test_wheel_install.py runs this file's COPY lines from the build context and every RUN line that
# calls pip, word for word, with WHEELS, VENV and CONSTRAINTS pointing into a temporary directory: keep those
# paths in the variables.
#
# The base image is pinned to an exact Python release and Debian version; pin its digest too where you build
# (`docker buildx imagetools inspect python:3.11.13-slim-bookworm` prints it) and update both together.

ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm

# --- builder: the wheel, from the project's files only ------------------------------------------------------
FROM ${PYTHON_IMAGE} AS builder
ARG WHEELS=/wheels
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
COPY pyproject.toml README.md ./
COPY drawwatch/ drawwatch/
RUN python -m pip wheel --no-cache-dir --no-deps --wheel-dir "$WHEELS" .

# --- final: a virtual environment with the wheel and its dependencies, run as a non-root user ----------------
FROM ${PYTHON_IMAGE}
ARG WHEELS=/wheels
ENV VENV=/opt/drawwatch \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PYTHONUNBUFFERED=1

RUN groupadd --system --gid 10001 drawwatch \
    && useradd --system --uid 10001 --gid 10001 --home-dir /data --no-create-home \
       --shell /usr/sbin/nologin drawwatch \
    && mkdir /data \
    && chown 10001:10001 /data

# Dependencies first, at the exact versions of constraints.txt, in a layer a code change does not rebuild.
ARG CONSTRAINTS=/tmp/constraints.txt
COPY constraints.txt $CONSTRAINTS
RUN python -m venv "$VENV" \
    && "$VENV/bin/python" -m pip install --no-cache-dir --requirement "$CONSTRAINTS"

# Then drawwatch itself; the constraints make pip refuse anything but the versions installed above.
COPY --from=builder /wheels/ /wheels/
RUN "$VENV/bin/python" -m pip install --no-cache-dir --constraint "$CONSTRAINTS" \
       "$(ls "$WHEELS"/drawwatch-*.whl)[postgres]" \
    && rm -rf "$WHEELS" "$CONSTRAINTS"

ENV PATH=$VENV/bin:$PATH \
    HOME=/data \
    DRAWWATCH_DATABASE_URL=sqlite:////data/drawwatch.db

# Numeric, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 10001:10001
WORKDIR /data
VOLUME /data

# The daemon finishes the check in flight on SIGTERM (up to DRAWWATCH_STOP_TIMEOUT, 120 s): give it time with
# `docker stop -t 150` / compose `stop_grace_period`. Run with --init (tini as PID 1 forwards signals, reaps).
STOPSIGNAL SIGTERM

# Unhealthy when no check succeeded within DRAWWATCH_HEALTH_MAX_AGE (2 h; the default schedule checks at least
# hourly). The start period covers the first check, which may need the whole download timeout and retries.
HEALTHCHECK --interval=2m --timeout=30s --start-period=3m --retries=3 \
    CMD ["drawwatch", "health"]

ENTRYPOINT ["drawwatch"]
CMD ["run"]
