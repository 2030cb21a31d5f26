# One image for every oxcook service (worker, Flower, coordinator): `docker compose build`.
# Dependencies are installed in their own layer, from pyproject.toml alone, so a source change
# rebuilds only the last layer; nothing is installed when a container starts.
FROM python:3.11-slim

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_ROOT_USER_ACTION=ignore PYTHONUNBUFFERED=1
WORKDIR /src

# 1. dependencies only (the package's own modules are not needed to resolve them)
COPY pyproject.toml README.md ./
RUN python - <<'PY' > /tmp/requirements.txt
import tomllib
print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))
PY
RUN pip install -r /tmp/requirements.txt

# 2. oxcook itself
COPY formats ./formats
COPY worker ./worker
COPY coordinator ./coordinator
COPY oxcook ./oxcook
RUN pip install --no-deps . && useradd --create-home oxcook
USER oxcook

CMD ["oxcook", "--help"]
