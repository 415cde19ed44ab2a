# MQTT device receiver.
