// GraphQL Code Generator document transform (codegen.yml): the trusted documents select
// __typename everywhere, as Apollo Client and urql add it, so that an operation sent by hash
// answers what a normalized cache needs to key its objects (__typename + id).
'use strict';
const { addTypenameSelectionDocumentTransform } = require('@graphql-codegen/client-preset');

module.exports = { transform: addTypenameSelectionDocumentTransform.transform };
