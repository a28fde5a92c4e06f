import { z } from 'zod';

/** The built-in steps take any inputs and promise no output shape. */
export const anyInput = z.record(z.string(), z.unknown());
export const nothing = z.unknown();
