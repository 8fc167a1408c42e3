/**
 * The types of the schema language (schema.ts): a schema checks a value into `T` (defaults
 * applied) and carries the input type `I` a user writes, so a kind's TypeScript type is inferred
 * from its fields ({@link Infer}, {@link Output}) or checked against them ({@link SameType}).
 */
import type { Issues } from './diagnostics';

/** Marker for a value that failed validation (its problem is already in Issues). */
export const INVALID: unique symbol = Symbol('invalid');
export type Checked<T> = T | typeof INVALID;

/**
 * Checks a value and returns it as `T` (defaults applied). `I` is the type a user writes (what
 * {@link Infer} reads): it differs from `T` only for objects whose optional fields have defaults.
 */
export interface Schema<T = unknown, I = T> {
  /** How the expected value reads in a message: "a string", "a duration such as \"30s\"". */
  readonly expected: string;
  check(value: unknown, path: string, issues: Issues): Checked<T>;
  /** Type only, never set: carries the input type for {@link Infer}. */
  readonly __input?: I;
}

/** A field of an object schema: optional fields may carry a default (`D` says whether it has one). */
export interface Field<T = unknown, I = T, D extends boolean = boolean> {
  schema: Schema<T, I>;
  optional: boolean;
  default?: T;
  /** Type only, never set: whether validation fills the field in. */
  readonly __hasDefault?: D;
}

// biome-ignore lint/suspicious/noExplicitAny: any schema at all, whatever its types
export type AnyField = Schema<any, any> | Field<any, any, boolean>;
export type Shape = Record<string, AnyField>;

/** Flattens an intersection so types read (and compare) as one object. */
export type Simplify<T> = { [K in keyof T]: T[K] } & {};
type OptionalKey<S, K extends keyof S> = S[K] extends Field<unknown, unknown, boolean> ? K : never;
type DefaultedKey<S, K extends keyof S> = S[K] extends Field<unknown, unknown, true> ? K : never;
type InputOf<F> = F extends Field<unknown, infer I, boolean> ? I : F extends Schema<unknown, infer I> ? I : never;
type OutputOf<F> = F extends Field<infer T, unknown, boolean> ? T : F extends Schema<infer T, unknown> ? T : never;

/** What a user writes for a shape: fields made optional with `s.optional` are optional. */
export type Infer<S extends Shape> = Simplify<
  { -readonly [K in keyof S as K extends OptionalKey<S, K> ? never : K]: InputOf<S[K]> } & {
    -readonly [K in keyof S as K extends OptionalKey<S, K> ? K : never]?: InputOf<S[K]>;
  }
>;

/** Optional fields without a default: the only ones a validated value may lack. */
type BareKey<S, K extends keyof S> = K extends OptionalKey<S, K> ? (K extends DefaultedKey<S, K> ? never : K) : never;

/** What validation returns for a shape: fields with a default are always there. */
export type Output<S extends Shape> = Simplify<
  { -readonly [K in keyof S as K extends OptionalKey<S, K> ? DefaultedKey<S, K> : K]: OutputOf<S[K]> } & {
    -readonly [K in keyof S as BareKey<S, K>]?: OutputOf<S[K]>;
  }
>;

/** `true` when A and B have the same keys and each is assignable to the other. */
export type SameType<A, B> = [keyof A] extends [keyof B]
  ? [keyof B] extends [keyof A]
    ? [A] extends [B]
      ? [B] extends [A]
        ? true
        : false
      : false
    : false
  : false;
