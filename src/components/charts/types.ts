export * from '../../viz/charts/types'; // Only for views/TrainingView.tsx, being rewritten: new code imports src/viz/charts/types.
