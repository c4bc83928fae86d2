FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# collectstatic signs nothing; the settings refuse to load without a SECRET_KEY outside
# DEBUG, so the build gives it a throwaway one (the containers get the real one).
RUN DJANGO_SETTINGS_MODULE=qbsync.settings SECRET_KEY=collectstatic-build-only \
    python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["gunicorn", "-c", "python:qbsync.gunicorn", "qbsync.wsgi:application"]
