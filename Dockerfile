# The application image for docker-compose.yml (worker, API, migrations).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml ./
COPY . .
RUN pip install --no-cache-dir .
ENV API_HOST=0.0.0.0
