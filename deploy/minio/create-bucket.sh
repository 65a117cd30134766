#!/bin/sh
# One-shot set-up of MinIO for PACKAGE.broker (docker-compose.yml, service minio-init): the bucket,
# a user that may only touch the dists under it, and a rule that expires abandoned uploads.
# Safe to run again.
set -eu
bucket="${S3_BUCKET:-package-broker}"

mc alias set local http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null
mc mb --ignore-existing "local/$bucket"

policy=/tmp/package-broker-policy.json
sed "s/BUCKET/$bucket/g" /minio-init/broker-policy.json >"$policy"
mc admin policy create local package-broker "$policy"
mc admin user add local "$S3_ACCESS_KEY_ID" "$S3_SECRET_ACCESS_KEY"
if ! mc admin user info local "$S3_ACCESS_KEY_ID" | grep -q 'package-broker'; then
  mc admin policy attach local package-broker --user "$S3_ACCESS_KEY_ID"
fi

mc ilm import "local/$bucket" </minio-init/lifecycle.json
echo "minio-init: bucket $bucket is ready for $S3_ACCESS_KEY_ID"
