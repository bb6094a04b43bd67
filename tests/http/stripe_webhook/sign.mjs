// Signs webhook payloads with the official stripe package, the oracle for
// omnid's Stripe-Signature verification (tests/http/stripe_webhook_test.cpp).
// stdin: a JSON array of {payload, secret, timestamp, scheme?}; stdout: a
// JSON array of the Stripe-Signature header of each, as Stripe sends it.
import Stripe from 'stripe';

const stripe = new Stripe('sk_test_unused');
let input = '';
for await (const chunk of process.stdin) input += chunk;
const headers = JSON.parse(input).map(({ payload, secret, timestamp, scheme }) =>
  stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp, scheme: scheme ?? 'v1' }));
process.stdout.write(JSON.stringify(headers));
