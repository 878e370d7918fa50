/**
 * Renewal on a schedule with Pulumi Deployments, as code (opt-in: stack config
 * `cloudfront-china:deployments`). The certificate is renewed only by a `pulumi up` that falls in its
 * window, so the program registers, for its own stack, the Deployments settings (git source, `npm ci`,
 * AWS China keys as secret environment variables), a daily `update` schedule, an optional drift
 * schedule and an optional webhook on failures (docs/run-on-a-schedule.md, "Pulumi Deployments").
 *
 * Credentials are static keys of a least-privilege IAM user: Deployments' AWS OIDC has no partition
 * setting and is reported not to work with aws-cn (pulumi-aws#3644, esc#256), so it is not offered.
 */
import * as pulumi from "@pulumi/pulumi";
import * as pulumiservice from "@pulumi/pulumiservice";
import { DeploymentsConfig, defaultSchedule } from "../config/deployments";

export interface ScheduledDeploymentsArgs {
    /** Pulumi Cloud organization of the stack. */
    readonly organization: string;
    readonly project: string;
    readonly stack: string;
    /** Git source, schedules, credentials and notification (validated by `readDeploymentsConfig`). */
    readonly settings: DeploymentsConfig;
}

/**
 * The stack's own Pulumi Deployments: settings, a daily `pulumi up` (the renewal run), optional drift
 * detection and a webhook on failures. Credentials and the webhook URL are passed as secrets.
 */
export class ScheduledDeployments extends pulumi.ComponentResource {
    /** The cron of the `update` schedule, UTC. */
    public readonly schedule: pulumi.Output<string>;

    constructor(name: string, args: ScheduledDeploymentsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("cloudfront-china:index:ScheduledDeployments", name, {}, opts);
        const { organization, project, stack, settings: s } = args;
        const ids = { organization, project, stack };
        const cron = s.schedule ?? defaultSchedule(organization, project, stack);
        const git = {
            repoUrl: s.repoUrl,
            branch: s.branch,
            repoDir: s.repoDir,
            // A private repository over https: a token as the basic-auth password.
            gitAuth: s.gitToken === undefined ? undefined : { basicAuth: { username: "git", password: pulumi.secret(s.gitToken) } },
        };

        const settings = new pulumiservice.DeploymentSettings(
            `${name}-settings`,
            {
                ...ids,
                sourceContext: { git },
                operationContext: {
                    // npm ci installs exactly the lockfile, and no package's install script runs (the
                    // AWS keys are in this environment); Deployments' own `npm install` is skipped.
                    preRunCommands: ["npm ci --ignore-scripts"],
                    options: { skipInstallDependencies: true },
                    environmentVariables: {
                        AWS_ACCESS_KEY_ID: pulumi.secret(s.awsAccessKeyId),
                        AWS_SECRET_ACCESS_KEY: pulumi.secret(s.awsSecretAccessKey),
                    },
                },
            },
            { parent: this },
        );
        new pulumiservice.DeploymentSchedule(
            `${name}-update`,
            { ...ids, scheduleCron: cron, pulumiOperation: pulumiservice.PulumiOperation.Update },
            { parent: this, dependsOn: [settings] },
        );
        if (s.driftSchedule !== undefined) {
            new pulumiservice.DriftSchedule(
                `${name}-drift`,
                { ...ids, scheduleCron: s.driftSchedule, autoRemediate: s.autoRemediateDrift },
                { parent: this, dependsOn: [settings] },
            );
        }
        if (s.notify !== undefined) {
            new pulumiservice.Webhook(
                `${name}-notify`,
                {
                    organizationName: organization,
                    projectName: project,
                    stackName: stack,
                    displayName: `${project}/${stack} renewal failures`,
                    payloadUrl: pulumi.secret(s.notify.url),
                    active: true,
                    format: s.notify.format,
                    filters: [
                        pulumiservice.WebhookFilters.DeploymentFailed,
                        pulumiservice.WebhookFilters.UpdateFailed,
                        pulumiservice.WebhookFilters.DriftDetected,
                    ],
                },
                { parent: this },
            );
        }
        this.schedule = pulumi.output(cron);
        this.registerOutputs({ schedule: this.schedule });
    }
}
