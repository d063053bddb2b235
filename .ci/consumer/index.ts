// The consumer's Pulumi program (.ci/consumer-test.sh deploy runs it with pulumi up).
import { teamPlatform } from "./program";

const team = teamPlatform();

export const hubUrl = team.hubUrl;
export const namespace = team.namespace;
export const imageRef = team.imageRef;
