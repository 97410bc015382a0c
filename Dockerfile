# The hotfix worker. Build context: the repository (docker compose builds it as the `worker` service).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, so code changes do not reinstall them; versions are pinned in pyproject.toml.
COPY pyproject.toml README.md ./
# The product only: the sandbox GitHub and the local stack stay out of the production image.
COPY hotfix/ hotfix/
COPY workflows/ workflows/
COPY activities/ activities/
COPY cli/ cli/
COPY service/ service/
COPY worker.py starter.py ./
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /app hotfix

USER hotfix
# Prometheus metrics, when HOTFIX_METRICS_PORT is set (docker-compose sets 9464).
EXPOSE 9464
# SIGTERM lets running activities finish (30 s); `starter.py` is installed as `hotfix` for one-offs.
STOPSIGNAL SIGTERM
ENTRYPOINT ["hotfix-worker"]
