/**
 * Who produced the exported events: the header of CEF lines, `service.*` in ECS and
 * `metadata.product` in OCSF. The version is the caller's (package.json at build time), so the
 * formatters stay pure and a test can pin it.
 */
export interface ProductInfo {
  readonly vendor: string;
  readonly product: string;
  readonly version: string;
  /** The host name of the broker that recorded the events, when the exporter knows it. */
  readonly host?: string;
}

export const PRODUCT_VENDOR = "PACKAGE.broker";
export const PRODUCT_NAME = "package-broker";

/** The ProductInfo of this server at `version` (and on `host`, when given). */
export function packageBrokerProduct(version: string, host?: string): ProductInfo {
  return host === undefined
    ? { vendor: PRODUCT_VENDOR, product: PRODUCT_NAME, version }
    : { vendor: PRODUCT_VENDOR, product: PRODUCT_NAME, version, host };
}
