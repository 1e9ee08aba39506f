# syntax=docker/dockerfile:1
# csip: the Slack app and its scheduler, in one process (`csip serve`), in Socket Mode when
# SLACK_APP_TOKEN is set, else over HTTP on port 3000. Every csip command brings the database
# schema up to date first, so a new image migrates on start. Production points
# CSIP_DATABASE_URL at PostgreSQL (compose.yaml).

# --- build: wheels of the locked dependencies (hashes checked) and of csip itself ------------
FROM python:3.11-slim AS build
WORKDIR /src
COPY requirements.lock ./
RUN pip wheel --no-cache-dir --require-hashes --requirement requirements.lock --wheel-dir /wheels
COPY pyproject.toml README.md ./
COPY plan ./plan
COPY storage ./storage
COPY bot ./bot
COPY schedules ./schedules
COPY reports ./reports
COPY sheets ./sheets
COPY csip ./csip
RUN pip wheel --no-cache-dir --no-deps . --wheel-dir /wheels

# --- run: the wheels only, as a user without privileges --------------------------------------
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CSIP_DATABASE_URL=sqlite:////data/csip.db
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links /wheels csip \
    && useradd --system --home-dir /data csip \
    && mkdir -p /data && chown csip /data
USER csip
WORKDIR /data
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3000/readyz', timeout=4)"]
ENTRYPOINT ["csip"]
CMD ["serve", "--port", "3000"]
