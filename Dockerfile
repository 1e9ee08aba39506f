# csip: the Slack app and its scheduler, in one process (`csip serve`). Production points CSIP_DATABASE_URL at PostgreSQL.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CSIP_DATABASE_URL=sqlite:////data/csip.db

WORKDIR /app
COPY pyproject.toml README.md ./
COPY plan ./plan
COPY storage ./storage
COPY bot ./bot
COPY schedules ./schedules
COPY reports ./reports
COPY sheets ./sheets
COPY csip ./csip
RUN pip install --no-cache-dir . \
    && useradd --system --home-dir /data csip \
    && mkdir -p /data && chown csip /data

USER csip
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3000/healthz')"
CMD ["csip", "serve", "--port", "3000"]
