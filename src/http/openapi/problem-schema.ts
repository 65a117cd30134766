import { z } from "zod";

/** RFC 9457 problem details, as every error of the API is answered (http/error-responses.ts). */
export const problemSchema = z
  .looseObject({
    type: z.string(),
    title: z.string(),
    status: z.number().int().min(400).max(599),
    detail: z.string(),
    code: z.string().meta({ description: "Stable, documented error code (docs/api.md)." }),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .meta({ description: "For InvalidRequest: each invalid field and what is wrong with it." }),
    requestId: z.string().optional(),
  })
  .meta({ id: "Problem", description: "An error (RFC 9457 problem details)." });

/** A documented error response of an operation. */
export function problemResponse(description: string): {
  description: string;
  schema: typeof problemSchema;
  contentType: string;
} {
  return { description, schema: problemSchema, contentType: "application/problem+json" };
}
