// ESLint flat config: typescript-eslint's recommended type-aware rules plus Pulumi's plugin, whose
// `no-output-in-template-literal` catches `${output}` (which renders as a warning string, not a value).
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import pulumi from "@pulumi/eslint-plugin";

export default tseslint.config(
    { ignores: ["node_modules/", ".tools/", "bin/", "dist/", "templates/", "**/*.mjs"] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        // Plain CommonJS helpers run by node directly (the serialized-provider driver, the mocha reporter).
        files: ["**/*.js"],
        languageOptions: {
            sourceType: "commonjs",
            globals: { require: "readonly", module: "writable", process: "readonly", console: "readonly", __dirname: "readonly" },
        },
        rules: {
            "@typescript-eslint/no-require-imports": "off",
            "@typescript-eslint/no-unused-vars": ["error", { varsIgnorePattern: "^_" }],
        },
    },
    {
        files: ["**/*.ts"],
        languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
        plugins: { "@pulumi": pulumi },
        rules: {
            "@pulumi/no-output-in-template-literal": "error",
            "@typescript-eslint/no-floating-promises": "error",
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
        },
    },
);
