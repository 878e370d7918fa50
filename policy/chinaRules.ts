// The rule table the component and the offline plan use (core/chinaRules.ts, which imports
// nothing). `npm pack` in this folder (what `pulumi policy publish` runs) replaces this line with that
// module's text, so the published pack is self-contained; `postpack` puts the line back.
export * from "../core/chinaRules";
