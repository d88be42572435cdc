# The Lotse image of compose.yaml: the browser bundle built from npm, then the Python package.
FROM node:20-slim AS frontend
WORKDIR /src/web/frontend
COPY web/frontend/package.json web/frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/frontend/ ./
RUN npm run build

FROM python:3.11-slim
WORKDIR /opt/lotse
COPY . .
COPY --from=frontend /src/web/static/dist web/static/dist
RUN pip install --no-cache-dir . && pybabel compile -d web/translations -f
ENV PYTHONPATH=/opt/lotse PREFECT_HOME=/tmp/prefect LOTSE_INSTANCE=/tmp/lotse
USER nobody
