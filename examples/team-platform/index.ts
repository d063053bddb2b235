import { teamPlatform } from "./program";

const outputs = teamPlatform();

export const hubUrl = outputs.hubUrl;
export const imageRef = outputs.imageRef;
export const executorNamespacePrefix = outputs.executorNamespacePrefix;
