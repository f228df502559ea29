# MotCua application image: web (gunicorn), celery worker and celery beat all run from it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# WeasyPrint (the printable forms) needs Pango.
RUN apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
    && rm -rf /var/lib/apt/lists/*

# Dependencies first, so that a code change does not reinstall them.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Static files are collected into the image (served by whitenoise). The settings need no database
# for this; the values below exist only for this build step.
RUN DJANGO_SECRET_KEY=collectstatic-build-only DJANGO_DEBUG=0 \
    DATABASE_URL=postgres://build@localhost:5432/build \
    CELERY_BROKER_URL=memory:// \
    python manage.py collectstatic --noinput

RUN useradd --system --create-home --home-dir /home/motcua --uid 10001 motcua \
    && mkdir -p /app/var/media /app/var/beat \
    && chown -R motcua:motcua /app/var
USER motcua

EXPOSE 8000
CMD ["gunicorn", "motcua.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--timeout", "60"]
