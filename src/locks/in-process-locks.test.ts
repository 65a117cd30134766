import { InProcessLocks } from "./in-process-locks.ts";
import { sharedLocksContract } from "./shared-locks.contract.ts";

sharedLocksContract("InProcessLocks", () => () => new InProcessLocks());
