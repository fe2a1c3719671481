DESCRIBE SELECT * FROM {% include "_reader.sql" %}
