/**
 * The tags every email carries to the provider and back in its events (SES message tags): which
 * subscriber (and, for a digest, which edition) it is for, so that bounces, complaints and send
 * events find their subscriber and their ledger item without looking up an address.
 */
export const DELIVERY_TAGS = { subscriber: 'paperboy-subscriber', edition: 'paperboy-edition' } as const;

/** The same, as one header (`<subscriberId>/<edition date>`): what the local SES stand-in's events read. */
export const DELIVERY_HEADER = 'X-Paperboy-Delivery';
