// The core targets plain ECMAScript plus the few host APIs that Node, browsers and workers all provide.
// Declaring them here keeps the core free of both the DOM and Node type libraries.
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean });
  decode(input?: Uint8Array): string;
}
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
