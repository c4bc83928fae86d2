FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN DJANGO_SETTINGS_MODULE=qbsync.settings python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["gunicorn", "-c", "python:qbsync.gunicorn", "qbsync.wsgi:application"]
