import { describe, expect, it } from "vitest";
import { packageBrokerProduct, PRODUCT_NAME, PRODUCT_VENDOR } from "./product-info.ts";

describe("packageBrokerProduct", () => {
  it("names this product, at the version (and host) the caller gives", () => {
    expect(packageBrokerProduct("1.4.2")).toEqual({
      vendor: "PACKAGE.broker",
      product: "package-broker",
      version: "1.4.2",
    });
    expect(packageBrokerProduct("1.4.2", "broker.example.com")).toEqual({
      vendor: PRODUCT_VENDOR,
      product: PRODUCT_NAME,
      version: "1.4.2",
      host: "broker.example.com",
    });
    // exactOptionalPropertyTypes: no `host: undefined` member that a JSON export would drop anyway.
    expect("host" in packageBrokerProduct("1.4.2")).toBe(false);
  });
});
