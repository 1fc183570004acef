#!/bin/sh
# The Compose stack's `certs` one-shot, before Kafka starts (Kafka's image, as root, only to
# set the owners): on the first `up`, a CA of this stack's own and the broker's certificate,
# with keytool (the image's JRE has it; no openssl needed). Afterwards it finds them and
# does nothing. Nothing of it is in the repository; `down -v` deletes it with the volumes.
#
#   /etc/kafka/tls (volume kafka-tls, Kafka's only, read-only there):
#     broker.p12           the broker's key and certificate (SANs kafka, localhost,
#                          127.0.0.1) signed by the CA, PKCS12, owner uid 1000, mode 0400
#     keystore.properties  password=<its random password>, read by the broker through
#                          Kafka's FileConfigProvider (never in an environment variable)
#   /etc/satfeed/kafka-ca (volume kafka-ca, every client, read-only there):
#     ca.crt               the CA's certificate (PEM), for librdkafka's ssl.ca.location
#
# The CA's private key is thrown away once the broker's certificate is signed: the stack
# never signs another. Valid 10 years; `down -v` and `up` make new ones.
set -eu

tls=/etc/kafka/tls
ca=/etc/satfeed/kafka-ca
kafka_uid=1000  # the Kafka image's user (apache/kafka and the stand-in alike)

if [ -s "$tls/broker.p12" ] && [ -s "$tls/keystore.properties" ] && [ -s "$ca/ca.crt" ]; then
  echo "certs: the CA and the broker's certificate are there already"
  exit 0
fi
keytool=keytool
command -v keytool >/dev/null 2>&1 || keytool="${JAVA_HOME:?no keytool on PATH and no JAVA_HOME}/bin/keytool"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
password=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')
days=3650
cd "$work"

"$keytool" -genkeypair -noprompt -keystore ca.p12 -storetype PKCS12 -storepass "$password" \
  -alias ca -keyalg EC -groupname secp256r1 -validity "$days" -dname "CN=satfeed Compose CA" \
  -ext bc:c=ca:true,pathlen:0 -ext ku:c=keyCertSign,cRLSign
"$keytool" -exportcert -rfc -keystore ca.p12 -storepass "$password" -alias ca -file ca.crt

"$keytool" -genkeypair -noprompt -keystore broker.p12 -storetype PKCS12 -storepass "$password" \
  -alias broker -keyalg EC -groupname secp256r1 -validity "$days" -dname "CN=kafka"
"$keytool" -certreq -keystore broker.p12 -storepass "$password" -alias broker -file broker.csr
"$keytool" -gencert -rfc -keystore ca.p12 -storepass "$password" -alias ca -validity "$days" \
  -infile broker.csr -outfile broker.crt \
  -ext san=dns:kafka,dns:localhost,ip:127.0.0.1 -ext ku:c=digitalSignature -ext eku=serverAuth
"$keytool" -importcert -noprompt -keystore broker.p12 -storepass "$password" -alias ca \
  -file ca.crt
"$keytool" -importcert -noprompt -keystore broker.p12 -storepass "$password" -alias broker \
  -file broker.crt
printf 'password=%s\n' "$password" > keystore.properties

chown "$kafka_uid:$kafka_uid" broker.p12 keystore.properties
chmod 0400 broker.p12 keystore.properties
chmod 0444 ca.crt
mv broker.p12 keystore.properties "$tls/"
mv ca.crt "$ca/"  # last: its presence says the rest is there
echo "certs: made a CA and the broker's certificate (kafka, localhost, 127.0.0.1)"
