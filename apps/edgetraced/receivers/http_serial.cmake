# HTTP device receiver and serial/file receiver.
