# The hotfix worker. Build context: the repository (docker compose builds it as the `worker` service).
#
# Two stages. `build` makes a virtual environment: the pinned runtime dependencies of pyproject.toml
# first, in a layer of their own that a code change does not invalidate, then the product itself
# without dependencies. The runtime stage holds that environment only: no sources, no pip cache, no
# sandbox, local stack or test dependencies (those are the `sandbox` and `dev` extras).
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH
RUN python -m venv /opt/venv
WORKDIR /src

COPY pyproject.toml README.md ./
# The [project] dependencies alone, as pinned (no extras).
RUN python -c "import subprocess, sys, tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; subprocess.check_call([sys.executable, '-m', 'pip', 'install', *deps])"

# The product only: the sandbox GitHub and the local stack stay out of the production image.
COPY hotfix/ hotfix/
COPY workflows/ workflows/
COPY activities/ activities/
COPY cli/ cli/
COPY service/ service/
COPY worker.py starter.py ./
RUN pip install --no-deps .

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH
COPY --from=build /opt/venv /opt/venv
RUN useradd --system --uid 10001 --home-dir /app hotfix
WORKDIR /app

USER hotfix
# Prometheus metrics, when HOTFIX_METRICS_PORT is set (docker-compose sets 9464); /healthz on
# HOTFIX_HEALTH_PORT (8081), failing while the worker is stuck (compose's healthcheck).
EXPOSE 9464 8081
# SIGTERM lets running activities finish (30 s); `starter.py` is installed as `hotfix` for one-offs.
STOPSIGNAL SIGTERM
ENTRYPOINT ["hotfix-worker"]
