#!/bin/sh
# Container entry point: like mautrix bridges' images, the first start writes what is missing
# into /data and stops with a message; later starts run the service.
set -e
cd /data

if [ ! -f config.yaml ]; then
    python -c "import pkgutil,sys; sys.stdout.buffer.write(pkgutil.get_data('matrix_social', 'example-config.yaml'))" > config.yaml
    echo "No config found: wrote /data/config.yaml from the example."
fi

if [ ! -f registration.yaml ]; then
    if ! matrix-social -g -c config.yaml -r registration.yaml; then
        echo "Edit /data/config.yaml (homeserver.address, homeserver.domain, appservice.address),"
        echo "or set MATRIX_SOCIAL_HOMESERVER_ADDRESS / MATRIX_SOCIAL_HOMESERVER_DOMAIN,"
        echo "then start the container again to generate the registration."
        exit 1
    fi
    echo "Wrote /data/registration.yaml. Register it with your homeserver"
    echo "(Conduit: register-appservice in the admin room; Synapse: app_service_config_files),"
    echo "then start the container again."
    exit 0
fi

exec matrix-social -c config.yaml -r registration.yaml
